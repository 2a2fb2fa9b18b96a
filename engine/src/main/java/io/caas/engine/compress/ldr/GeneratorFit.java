package io.caas.engine.compress.ldr;

import java.util.ArrayList;
import java.util.List;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.SingularOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * Generators fitted to a dense n×n block, in closed form.
 *
 * <p>Circulant: the nearest circulant matrix in Frobenius norm has on each wrapped diagonal the mean of the
 * block's entries there.
 *
 * <p>Toeplitz-like, two candidates, the one nearer the block kept:
 * <ul>
 *   <li>Displacement truncation: the Sylvester operator ∇(M) = Z₁M − MZ₋₁ is invertible (Z₁ and Z₋₁ share no
 *   eigenvalue), and ∇(Z₁(g)·Z₋₁(Jh)) = 2·g·hᵀ with J the reversal, so M with ∇(M) = Σ gᵢhᵢᵀ is
 *   ½·Σ Z₁(gᵢ)·Z₋₁(Jhᵢ). Keeping the r largest singular triplets of the block's displacement is exact when the
 *   block has displacement rank ≤ r; for a trained weight, whose displacement spectrum is flat, the inverse
 *   operator can make the truncation worse than the zero matrix (measured: relative error about 2).</li>
 *   <li>Structured projection: the nearest circulant (r = 1) or Toeplitz matrix (r ≥ 2; displacement rank ≤ 2,
 *   so represented exactly) in Frobenius norm, never worse than zero. Further terms get g = 0 and h from the
 *   displacement truncation: they change nothing yet, but the gradient reaches their g in fine-tuning.</li>
 * </ul>
 */
public final class GeneratorFit {

    private GeneratorFit() {
    }

    /** Every block of a dense layer fitted in closed form, laid out as {@link BlockLayout#of} cuts it. */
    static StructuredExport.Layer layer(DenseLayer d, Structure structure, int rank) {
        BlockLayout layout = BlockLayout.of(d.in(), d.out());
        List<Generators> blocks = new ArrayList<>();
        for (int a = 0; a < layout.p(); a++) {
            for (int b = 0; b < layout.q(); b++) {
                double[] block = layout.block(d.matrix(), a, b);
                blocks.add(structure == Structure.CIRCULANT ? circulant(block, layout.n())
                        : toeplitzLike(block, layout.n(), rank));
            }
        }
        return new StructuredExport.Layer(d, layout, structure, blocks);
    }

    /** @param block row-major n×n */
    public static Generators circulant(double[] block, int n) {
        double[] v = new double[n];
        for (int d = 0; d < n; d++) {
            double sum = 0;
            for (int a = 0; a < n; a++) {
                sum += block[a * n + Math.floorMod(a - d, n)];
            }
            v[d] = sum / n;
        }
        return new Generators(new double[][] {v}, null);
    }

    /** @param block row-major n×n; r at most n */
    public static Generators toeplitzLike(double[] block, int n, int r) {
        Generators truncated = displacementTruncation(block, n, r);
        Generators projected;
        if (r == 1) {
            double[] e1 = new double[n];
            e1[0] = 1;
            projected = new Generators(circulant(block, n).g(), new double[][] {e1});
        } else {
            Generators toeplitz = displacementTruncation(toeplitzProjection(block, n), n, 2);
            double[][] g = new double[r][];
            double[][] h = new double[r][];
            for (int i = 0; i < r; i++) {
                g[i] = i < 2 ? toeplitz.g()[i] : new double[n];
                h[i] = i < 2 ? toeplitz.h()[i] : truncated.h()[i];
            }
            projected = new Generators(g, h);
        }
        return relativeError(truncated, block) <= relativeError(projected, block) ? truncated : projected;
    }

    /** The r leading singular triplets of the block's displacement, turned into generators. */
    static Generators displacementTruncation(double[] block, int n, int r) {
        DMatrixRMaj d = DMatrixRMaj.wrap(n, n, displacement(block, n));
        SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(n, n, true, true, false);
        if (!svd.decompose(d)) {
            throw new IllegalStateException("SVD of a " + n + "x" + n + " displacement did not converge");
        }
        DMatrixRMaj w = svd.getW(null);
        DMatrixRMaj u = svd.getU(null, false);
        DMatrixRMaj v = svd.getV(null, false);
        SingularOps_DDRM.descendingOrder(u, false, w, v, false);
        double[][] g = new double[r][n];
        double[][] h = new double[r][n];
        for (int i = 0; i < r; i++) {
            // √(σ/2) on each side gives the ½ of the inversion formula; h is stored reversed (J).
            double scale = Math.sqrt(w.get(i, i) / 2);
            for (int k = 0; k < n; k++) {
                g[i][k] = scale * u.get(k, i);
                h[i][n - 1 - k] = scale * v.get(k, i);
            }
        }
        return new Generators(g, h);
    }

    /** The nearest Toeplitz matrix: each diagonal a − b = const replaced by its mean. */
    static double[] toeplitzProjection(double[] block, int n) {
        double[] sums = new double[2 * n - 1];
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < n; b++) {
                sums[a - b + n - 1] += block[a * n + b];
            }
        }
        double[] t = new double[n * n];
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < n; b++) {
                int d = a - b;
                t[a * n + b] = sums[d + n - 1] / (n - Math.abs(d));
            }
        }
        return t;
    }

    /** Z₁M − MZ₋₁ where Z_f shifts down with f wrapped into the corner. */
    static double[] displacement(double[] m, int n) {
        double[] d = new double[n * n];
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < n; b++) {
                double shiftedRows = m[Math.floorMod(a - 1, n) * n + b];
                double shiftedCols = b + 1 < n ? m[a * n + b + 1] : -m[a * n];
                d[a * n + b] = shiftedRows - shiftedCols;
            }
        }
        return d;
    }

    /**
     * ‖Ŵ − W‖_F / ‖W‖_F over a whole layer, W in × out row-major and its blocks' generators at a·q + b; the
     * padding is sliced off in the model, so only the real entries count.
     */
    public static double relativeError(BlockLayout layout, double[] w, List<Generators> blocks) {
        int n = layout.n();
        double diff = 0;
        double norm = 0;
        for (int a = 0; a < layout.p(); a++) {
            for (int b = 0; b < layout.q(); b++) {
                double[] m = blocks.get(a * layout.q() + b).dense();
                for (int i = 0; i < n && a * n + i < layout.in(); i++) {
                    for (int j = 0; j < n && b * n + j < layout.out(); j++) {
                        double v = w[(a * n + i) * layout.out() + b * n + j];
                        double d = m[i * n + j] - v;
                        diff += d * d;
                        norm += v * v;
                    }
                }
            }
        }
        return norm == 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
    }

    /** ‖M − W‖_F / ‖W‖_F, 0 for a zero W that M matches. */
    public static double relativeError(Generators fit, double[] block) {
        double[] m = fit.dense();
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < block.length; i++) {
            diff += (m[i] - block[i]) * (m[i] - block[i]);
            norm += block[i] * block[i];
        }
        return norm == 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
    }
}
