package io.caas.engine.compress.calibration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.caas.engine.compress.CompactSvd;
import java.util.SplittableRandom;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.Test;

class WhitenedSvdTest {

    private static final int IN = 12;
    private static final int OUT = 7;

    @Test
    void withIdentityInputsItIsPlainSvd() {
        DMatrixRMaj w = random(IN, OUT, new SplittableRandom(1), 1.0);
        WhitenedSvd whitened = WhitenedSvd.of(w.data, IN, OUT, LayerInputs.of(IN, CommonOps_DDRM.identity(IN).data, IN),
                0);
        CompactSvd plain = CompactSvd.of(w);

        assertThat(whitened.singularValues()).containsExactly(plain.sigma(), within(1e-12));
        for (int r = 1; r <= OUT; r++) {
            assertSame(product(whitened, r), plainProduct(plain, r), r, 1e-12);
        }
    }

    @Test
    void theOutputErrorIsExactlyTheDroppedWhitenedSingularValues() {
        SplittableRandom random = new SplittableRandom(2);
        // inputs with very unequal column scales, as activations have: whitening must weigh them
        DMatrixRMaj x = random(300, IN, random, 1.0);
        for (int i = 0; i < x.numRows; i++) {
            for (int j = 0; j < IN; j++) {
                x.set(i, j, x.get(i, j) * Math.pow(0.5, j));
            }
        }
        DMatrixRMaj w = random(IN, OUT, random, 1.0);
        WhitenedSvd whitened = WhitenedSvd.of(w.data, IN, OUT, LayerInputs.of(IN, gram(x, x).data, x.numRows), 0);
        CompactSvd plain = CompactSvd.of(w);
        double[] sigma = whitened.singularValues();

        for (int r = 1; r < OUT; r++) {
            double dropped = 0;
            for (int i = r; i < sigma.length; i++) {
                dropped += sigma[i] * sigma[i];
            }
            double error = outputError(x, w, x, product(whitened, r));
            assertThat(error).as("rank %d", r).isCloseTo(dropped, within(1e-9 * dropped));
            // and no rank-r weight does better on these inputs than the whitened one; plain SVD does worse
            assertThat(outputError(x, w, x, plainProduct(plain, r))).as("plain, rank %d", r).isGreaterThan(error);
        }
    }

    @Test
    void inputsChangedByEarlierLayersAreCorrectedTowardsTheOriginalOutput() {
        SplittableRandom random = new SplittableRandom(3);
        DMatrixRMaj x = random(400, IN, random, 1.0);
        // the same inputs after earlier layers were replaced: a systematic change plus noise
        DMatrixRMaj changed = x.copy();
        for (int i = 0; i < x.numRows; i++) {
            for (int j = 0; j < IN; j++) {
                changed.set(i, j, 0.8 * x.get(i, j) + 0.1 * x.get(i, (j + 1) % IN) + 0.05 * random.nextGaussian());
            }
        }
        DMatrixRMaj w = random(IN, OUT, random, 1.0);
        LayerInputs inputs = new LayerInputs(IN, gram(changed, changed).data, gram(changed, x).data, x.numRows);
        WhitenedSvd corrected = WhitenedSvd.of(w.data, IN, OUT, inputs, 0);
        WhitenedSvd uncorrected = WhitenedSvd.of(w.data, IN, OUT, LayerInputs.of(IN, inputs.gram(), x.numRows), 0);

        // at full rank the corrected weight is the least-squares answer: the residual is orthogonal to X'
        DMatrixRMaj full = product(corrected, OUT);
        DMatrixRMaj residual = new DMatrixRMaj(x.numRows, OUT);
        DMatrixRMaj target = new DMatrixRMaj(x.numRows, OUT);
        CommonOps_DDRM.mult(changed, full, residual);
        CommonOps_DDRM.mult(x, w, target);
        CommonOps_DDRM.subtractEquals(residual, target);
        DMatrixRMaj normal = new DMatrixRMaj(IN, OUT);
        CommonOps_DDRM.multTransA(changed, residual, normal);
        assertThat(CommonOps_DDRM.elementMaxAbs(normal)).isLessThan(1e-8 * CommonOps_DDRM.elementMaxAbs(target)
                * x.numRows);
        for (int r = 1; r <= OUT; r++) {
            assertThat(outputError(changed, product(corrected, r), x, w)).as("rank %d", r)
                    .isLessThan(outputError(changed, product(uncorrected, r), x, w));
        }
    }

    @Test
    void dampingKeepsASingularGramUsable() {
        SplittableRandom random = new SplittableRandom(4);
        DMatrixRMaj x = random(5, IN, random, 1.0); // fewer samples than inputs, and one input always zero
        for (int i = 0; i < x.numRows; i++) {
            x.set(i, 0, 0);
        }
        DMatrixRMaj w = random(IN, OUT, random, 1.0);
        WhitenedSvd whitened = WhitenedSvd.of(w.data, IN, OUT, LayerInputs.of(IN, gram(x, x).data, x.numRows),
                WhitenedSvd.DAMPING);
        DMatrixRMaj approx = product(whitened, 5);
        for (double v : approx.data) {
            assertThat(v).isFinite();
        }
        // rank 5 covers what five samples can show: their outputs are nearly exact
        assertThat(outputError(x, w, x, approx)).isLessThan(1e-3 * outputError(x, w, x, new DMatrixRMaj(IN, OUT)));
        // an all-zero input gives plain SVD
        WhitenedSvd dead = WhitenedSvd.of(w.data, IN, OUT, LayerInputs.of(IN, new double[IN * IN], 0),
                WhitenedSvd.DAMPING);
        assertThat(dead.singularValues()[0]).isCloseTo(CompactSvd.of(w).sigma()[0] * Math.sqrt(1 + WhitenedSvd.DAMPING),
                within(1e-9));
    }

    @Test
    void anIdentityOutputGramChangesNothing() {
        SplittableRandom random = new SplittableRandom(5);
        DMatrixRMaj x = random(200, IN, random, 1.0);
        DMatrixRMaj w = random(IN, OUT, random, 1.0);
        LayerInputs inputs = LayerInputs.of(IN, gram(x, x).data, x.numRows);
        WhitenedSvd oneSided = WhitenedSvd.of(w.data, IN, OUT, inputs, 0);
        WhitenedSvd twoSided = WhitenedSvd.of(w.data, IN, OUT, inputs, CommonOps_DDRM.identity(OUT).data, 0);

        assertThat(twoSided.singularValues()).containsExactly(oneSided.singularValues(), within(1e-9));
        for (int r = 1; r <= OUT; r++) {
            assertSame(product(twoSided, r), product(oneSided, r), r, 1e-9);
        }
    }

    private static void assertSame(DMatrixRMaj actual, DMatrixRMaj expected, int rank, double tolerance) {
        for (int i = 0; i < expected.data.length; i++) {
            assertThat(actual.data[i]).as("rank %d, element %d", rank, i).isCloseTo(expected.data[i],
                    within(tolerance));
        }
    }

    @Test
    void weightedByTheOutputsEffectTheErrorThereIsTheDroppedSingularValuesAndLeast() {
        SplittableRandom random = new SplittableRandom(6);
        DMatrixRMaj x = random(300, IN, random, 1.0);
        DMatrixRMaj w = random(IN, OUT, random, 1.0);
        // what follows the layer: z = y·B, B amplifying one output direction and all but ignoring another
        DMatrixRMaj b = random(OUT, OUT, random, 1.0);
        for (int j = 0; j < OUT; j++) {
            b.set(0, j, 20 * b.get(0, j));
            b.set(OUT - 1, j, 1e-3 * b.get(OUT - 1, j));
        }
        DMatrixRMaj g = new DMatrixRMaj(OUT, OUT);
        CommonOps_DDRM.multTransB(b, b, g);
        LayerInputs inputs = LayerInputs.of(IN, gram(x, x).data, x.numRows);
        WhitenedSvd twoSided = WhitenedSvd.of(w.data, IN, OUT, inputs, g.data, 0);
        WhitenedSvd oneSided = WhitenedSvd.of(w.data, IN, OUT, inputs, 0);
        double[] sigma = twoSided.singularValues();
        DMatrixRMaj wb = times(w, b);

        for (int r = 1; r < OUT; r++) {
            double dropped = 0;
            for (int i = r; i < sigma.length; i++) {
                dropped += sigma[i] * sigma[i];
            }
            double error = outputError(x, wb, x, times(product(twoSided, r), b));
            assertThat(error).as("rank %d", r).isCloseTo(dropped, within(1e-9 * dropped));
            // weighing the layer's own output alike in every direction keeps what B then all but discards
            assertThat(outputError(x, wb, x, times(product(oneSided, r), b))).as("one-sided, rank %d", r)
                    .isGreaterThan(error);
        }
    }

    @Test
    void anOutputBlindToSomeDirectionsLeavesTheFactorsFinite() {
        SplittableRandom random = new SplittableRandom(7);
        DMatrixRMaj x = random(300, IN, random, 1.0);
        DMatrixRMaj w = random(IN, OUT, random, 1.0);
        // B sees only 3 of the layer's 7 output directions: G is singular, as after a LayerNorm's mean removal
        DMatrixRMaj b = random(OUT, 3, random, 1.0);
        DMatrixRMaj g = new DMatrixRMaj(OUT, OUT);
        CommonOps_DDRM.multTransB(b, b, g);
        WhitenedSvd twoSided = WhitenedSvd.of(w.data, IN, OUT, LayerInputs.of(IN, gram(x, x).data, x.numRows),
                g.data, WhitenedSvd.DAMPING);
        DMatrixRMaj approx = product(twoSided, 3);
        for (double v : approx.data) {
            assertThat(v).isFinite();
        }
        // rank 3 holds nearly all that B sees, though the layer's own output keeps only 3 of 7 directions
        DMatrixRMaj wb = times(w, b);
        assertThat(outputError(x, wb, x, times(approx, b))).isLessThan(1e-2 * outputError(x, wb, x,
                new DMatrixRMaj(IN, 3)));
    }

    private static DMatrixRMaj times(DMatrixRMaj a, DMatrixRMaj b) {
        DMatrixRMaj c = new DMatrixRMaj(a.numRows, b.numCols);
        CommonOps_DDRM.mult(a, b, c);
        return c;
    }

    /** ‖a·wa − b·wb‖²_F. */
    private static double outputError(DMatrixRMaj a, DMatrixRMaj wa, DMatrixRMaj b, DMatrixRMaj wb) {
        DMatrixRMaj ya = new DMatrixRMaj(a.numRows, wa.numCols);
        DMatrixRMaj yb = new DMatrixRMaj(b.numRows, wb.numCols);
        CommonOps_DDRM.mult(a, wa, ya);
        CommonOps_DDRM.mult(b, wb, yb);
        CommonOps_DDRM.subtractEquals(ya, yb);
        double e = 0;
        for (double v : ya.data) {
            e += v * v;
        }
        return e;
    }

    private static DMatrixRMaj product(WhitenedSvd w, int r) {
        DMatrixRMaj p = new DMatrixRMaj(IN, OUT);
        CommonOps_DDRM.mult(DMatrixRMaj.wrap(IN, r, w.first(r)), DMatrixRMaj.wrap(r, OUT, w.second(r)), p);
        return p;
    }

    private static DMatrixRMaj plainProduct(CompactSvd svd, int r) {
        DMatrixRMaj p = new DMatrixRMaj(svd.u().numRows, svd.v().numRows);
        for (int i = 0; i < p.numRows; i++) {
            for (int j = 0; j < p.numCols; j++) {
                double v = 0;
                for (int k = 0; k < r; k++) {
                    v += svd.u().get(i, k) * svd.sigma()[k] * svd.v().get(j, k);
                }
                p.set(i, j, v);
            }
        }
        return p;
    }

    private static DMatrixRMaj gram(DMatrixRMaj a, DMatrixRMaj b) {
        DMatrixRMaj g = new DMatrixRMaj(a.numCols, b.numCols);
        CommonOps_DDRM.multTransA(a, b, g);
        return g;
    }

    private static DMatrixRMaj random(int rows, int cols, SplittableRandom random, double scale) {
        DMatrixRMaj m = new DMatrixRMaj(rows, cols);
        for (int i = 0; i < m.data.length; i++) {
            m.data[i] = scale * random.nextGaussian();
        }
        return m;
    }
}
