package io.caas.engine.compress.hadamard;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The ALS fit of a bilinear weight W[k,i,j] ≈ Σ_r P[r,k]·U[i,r]·V[j,r]. */
class CpDecompositionTest {

    private static float[] gaussian(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble()));
        }
        return v;
    }

    /** W from factors of rank {@code d}: out × in1 × in2. */
    private static float[] ofRank(SplittableRandom r, int d, int out, int in1, int in2) {
        float[] u = gaussian(r, in1 * d);
        float[] v = gaussian(r, in2 * d);
        float[] p = gaussian(r, d * out);
        float[] w = new float[out * in1 * in2];
        for (int k = 0; k < out; k++) {
            for (int i = 0; i < in1; i++) {
                for (int j = 0; j < in2; j++) {
                    double s = 0;
                    for (int q = 0; q < d; q++) {
                        s += (double) p[q * out + k] * u[i * d + q] * v[j * d + q];
                    }
                    w[(k * in1 + i) * in2 + j] = (float) s;
                }
            }
        }
        return w;
    }

    /** Ŵ from fitted factors, to check the reported error independently. */
    private static double relativeError(float[] w, CpDecomposition.Factors f, int out, int in1, int in2) {
        int d = f.rank();
        double diff = 0;
        double norm = 0;
        for (int k = 0; k < out; k++) {
            for (int i = 0; i < in1; i++) {
                for (int j = 0; j < in2; j++) {
                    double s = 0;
                    for (int q = 0; q < d; q++) {
                        s += f.p()[q * out + k] * f.u()[i * d + q] * f.v()[j * d + q];
                    }
                    double e = w[(k * in1 + i) * in2 + j];
                    diff += (e - s) * (e - s);
                    norm += e * e;
                }
            }
        }
        return Math.sqrt(diff / norm);
    }

    @Test
    void aTensorOfRankDIsRecoveredAtRankD() {
        float[] w = ofRank(new SplittableRandom(1), 6, 10, 12, 9);
        CpDecomposition.Factors f = CpDecomposition.fit(w, 10, 12, 9, 6, 200, 5);
        assertThat(f.relativeError()).isLessThan(1e-4);
        assertThat(relativeError(w, f, 10, 12, 9)).isCloseTo(f.relativeError(),
                org.assertj.core.data.Offset.offset(1e-6));
    }

    @Test
    void atTheExactRankAnyWeightIsReproduced() {
        float[] w = gaussian(new SplittableRandom(2), 5 * 7 * 4);
        int exact = CpDecomposition.exactRank(5, 7, 4);
        assertThat(exact).isEqualTo(20);
        CpDecomposition.Factors f = CpDecomposition.fit(w, 5, 7, 4, exact, 50, 5);
        assertThat(f.relativeError()).isLessThan(1e-6);
        assertThat(relativeError(w, f, 5, 7, 4)).isLessThan(1e-6);
    }

    @Test
    void theFitImprovesWithRankAndWithSweeps() {
        float[] w = gaussian(new SplittableRandom(3), 8 * 10 * 10);
        double previous = 1.0;
        for (int d : new int[] {2, 8, 24, 48}) {
            CpDecomposition.Factors f = CpDecomposition.fit(w, 8, 10, 10, d, 100, 5);
            assertThat(f.relativeError()).as("rank " + d).isLessThan(previous);
            previous = f.relativeError();
        }
        double oneSweep = CpDecomposition.fit(w, 8, 10, 10, 8, 1, 5).relativeError();
        double many = CpDecomposition.fit(w, 8, 10, 10, 8, 100, 5).relativeError();
        assertThat(many).isLessThan(oneSweep);
    }
}
