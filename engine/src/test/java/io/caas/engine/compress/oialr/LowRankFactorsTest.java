package io.caas.engine.compress.oialr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.caas.engine.compress.LayerMatrix;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The re-orthogonalisation step and the rank cut, on their own. */
class LowRankFactorsTest {

    private static double[] random(SplittableRandom r, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextDouble(-1, 1);
        }
        return v;
    }

    @Test
    void startsAsAnExactSvdWithOrthonormalBases() {
        double[] w = random(new SplittableRandom(1), 30 * 12);
        LowRankFactors f = LowRankFactors.ofMatrix(w, 30, 12);
        assertThat(f.rank()).isEqualTo(12);
        assertClose(f.product(), w, 1e-10);
        assertOrthonormalColumns(f.a(), 30, 12);
        assertOrthonormalColumns(LayerMatrix.transpose(f.b(), 12, 12), 12, 12);
    }

    @Test
    void reorthogonalisationKeepsTheProductAndMakesTheCoreDiagonal() {
        SplittableRandom rnd = new SplittableRandom(2);
        int in = 40;
        int out = 25;
        LowRankFactors f = LowRankFactors.ofMatrix(random(rnd, in * out), in, out);
        // a trained core is a full matrix: perturb every entry
        double[] s = f.s();
        for (int i = 0; i < s.length; i++) {
            s[i] += rnd.nextDouble(-0.3, 0.3);
        }
        f.setS(s);
        double[] before = f.product();
        double[] sigma = f.reorthogonalize();
        assertClose(f.product(), before, 1e-4);
        for (int i = 1; i < sigma.length; i++) {
            assertThat(sigma[i]).isLessThanOrEqualTo(sigma[i - 1]);
        }
        double[] core = f.s();
        int r = f.rank();
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < r; j++) {
                assertThat(core[i * r + j]).isEqualTo(i == j ? sigma[i] : 0, within(1e-12));
            }
        }
        assertOrthonormalColumns(f.a(), in, r);
        assertOrthonormalColumns(LayerMatrix.transpose(f.b(), r, out), out, r);
    }

    @Test
    void truncationKeepsTheLargestDirections() {
        SplittableRandom rnd = new SplittableRandom(3);
        LowRankFactors f = LowRankFactors.ofMatrix(random(rnd, 20 * 10), 20, 10);
        double[] w = f.product();
        double[] sigma = f.reorthogonalize();
        f.truncate(4);
        assertThat(f.rank()).isEqualTo(4);
        double err = 0;
        double[] p = f.product();
        for (int i = 0; i < w.length; i++) {
            err += (w[i] - p[i]) * (w[i] - p[i]);
        }
        double dropped = 0;
        for (int i = 4; i < sigma.length; i++) {
            dropped += sigma[i] * sigma[i];
        }
        assertThat(err).isEqualTo(dropped, within(1e-9)); // Eckart-Young
    }

    @Test
    void cutDropsSmallSingularValues() {
        double[] sigma = {10, 8, 5, 2, 1.5, 0.9, 0.5, 0.1};
        assertThat(LowRankFactors.keptRank(sigma, 0.1, 1)).isEqualTo(5); // 1.0 is the threshold: 0.9 and below go
        assertThat(LowRankFactors.keptRank(sigma, 0.01, 1)).isEqualTo(8);
    }

    @Test
    void cutNeverRemovesMoreThanHalf() {
        double[] sigma = {10, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1};
        assertThat(LowRankFactors.keptRank(sigma, 0.5, 1)).isEqualTo(4); // 7 → at most 3 removed
        double[] even = {10, 0, 0, 0, 0, 0, 0, 0};
        assertThat(LowRankFactors.keptRank(even, 0.5, 1)).isEqualTo(4);
        // repeated cuts halve at most each time
        int r = 64;
        while (r > 1) {
            double[] s = new double[r];
            s[0] = 1;
            int k = LowRankFactors.keptRank(s, 0.9, 1);
            assertThat(k).isEqualTo((r + 1) / 2);
            r = k;
        }
    }

    @Test
    void cutRespectsMinRank() {
        double[] sigma = {10, 9, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1};
        assertThat(LowRankFactors.keptRank(sigma, 0.5, 1)).isEqualTo(4);
        assertThat(LowRankFactors.keptRank(sigma, 0.5, 6)).isEqualTo(6);
        // a layer already below minRank is not grown, nor cut
        assertThat(LowRankFactors.keptRank(new double[] {3, 0.01, 0.01}, 0.5, 5)).isEqualTo(3);
    }

    private static void assertClose(double[] actual, double[] expected, double tol) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < actual.length; i++) {
            assertThat(actual[i]).as("element %d", i).isEqualTo(expected[i], within(tol));
        }
    }

    /** Columns of a rows × cols row-major matrix are orthonormal. */
    private static void assertOrthonormalColumns(double[] m, int rows, int cols) {
        for (int i = 0; i < cols; i++) {
            for (int j = 0; j < cols; j++) {
                double dot = 0;
                for (int k = 0; k < rows; k++) {
                    dot += m[k * cols + i] * m[k * cols + j];
                }
                assertThat(dot).isEqualTo(i == j ? 1 : 0, within(1e-9));
            }
        }
    }
}
