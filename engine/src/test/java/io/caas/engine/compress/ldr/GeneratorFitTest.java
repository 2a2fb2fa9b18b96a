package io.caas.engine.compress.ldr;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GeneratorFitTest {

    private final SplittableRandom random = new SplittableRandom(5);

    @Test
    void recoversAnExactlyToeplitzLikeMatrix() {
        int n = 24;
        for (int r = 1; r <= 3; r++) {
            Generators truth = new Generators(vectors(r, n), vectors(r, n));
            double[] m = truth.dense();
            Generators fit = GeneratorFit.toeplitzLike(m, n, r);
            assertThat(fit.rank()).isEqualTo(r);
            assertThat(GeneratorFit.relativeError(fit, m)).as("rank %d", r).isLessThan(1e-10);
        }
    }

    @Test
    void displacementOfAToeplitzLikeMatrixHasItsRank() {
        int n = 16;
        double[] m = new Generators(vectors(2, n), vectors(2, n)).dense();
        double[] d = GeneratorFit.displacement(m, n);
        // rank 2: a third generator adds nothing, and rank 1 cannot fit it
        assertThat(GeneratorFit.relativeError(GeneratorFit.toeplitzLike(m, n, 3), m)).isLessThan(1e-10);
        assertThat(GeneratorFit.relativeError(GeneratorFit.toeplitzLike(m, n, 1), m)).isGreaterThan(1e-3);
        assertThat(d).hasSize(n * n);
    }

    @Test
    void aToeplitzMatrixHasDisplacementRankAtMostTwo() {
        int n = 20;
        double[] diagonals = random.doubles(2 * n - 1, -1, 1).toArray();
        double[] t = new double[n * n];
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < n; b++) {
                t[a * n + b] = diagonals[a - b + n - 1];
            }
        }
        assertThat(GeneratorFit.relativeError(GeneratorFit.toeplitzLike(t, n, 2), t)).isLessThan(1e-10);
    }

    @Test
    void onAWeightWithoutStructureItIsNeverWorseThanZeroAndImprovesWithRank() {
        int n = 32;
        double[] w = random.doubles((long) n * n, -1, 1).toArray();
        double previous = 1;
        for (int r = 1; r <= 4; r++) {
            double error = GeneratorFit.relativeError(GeneratorFit.toeplitzLike(w, n, r), w);
            assertThat(error).as("rank %d", r).isLessThanOrEqualTo(previous);
            previous = error;
        }
        assertThat(previous).isLessThan(1);
    }

    @Test
    void circulantFitRecoversACirculantMatrixAndAveragesWrappedDiagonals() {
        int n = 12;
        double[] v = random.doubles(n, -1, 1).toArray();
        double[] c = Generators.fCirculant(v, 1);
        Generators fit = GeneratorFit.circulant(c, n);
        assertThat(fit.circulant()).isTrue();
        assertThat(fit.g()[0]).containsExactly(v, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(GeneratorFit.relativeError(fit, c)).isLessThan(1e-12);

        // a non-circulant matrix: each wrapped diagonal becomes its mean
        double[] m = random.doubles((long) n * n, -1, 1).toArray();
        double[] fitted = GeneratorFit.circulant(m, n).dense();
        double mean = 0;
        for (int a = 0; a < n; a++) {
            mean += m[a * n + Math.floorMod(a - 3, n)];
        }
        assertThat(fitted[5 * n + 2]).isCloseTo(mean / n, org.assertj.core.data.Offset.offset(1e-12));
    }

    @Test
    void circulantIsTheToeplitzLikeCaseWithTheFirstUnitVector() {
        int n = 10;
        double[] g = random.doubles(n, -1, 1).toArray();
        double[] e1 = new double[n];
        e1[0] = 1;
        double[] toeplitzLike = new Generators(new double[][] {g}, new double[][] {e1}).dense();
        assertThat(toeplitzLike).containsExactly(Generators.fCirculant(g, 1), org.assertj.core.data.Offset.offset(0.0));
    }

    private double[][] vectors(int r, int n) {
        double[][] v = new double[r][];
        for (int i = 0; i < r; i++) {
            v[i] = random.doubles(n, -1, 1).toArray();
        }
        return v;
    }
}
