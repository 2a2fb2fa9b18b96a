package io.caas.engine.compress.tied;

import java.util.Arrays;
import java.util.Optional;

/**
 * Where the shared matrix W (d × h) starts, from the pair's own matrices M1 (d × h, first layer) and M2 (h × d,
 * second layer), from the weights alone.
 */
enum TiedInit {

    /** (M1 + M2ᵀ) / 2: the W closest to both in Frobenius norm, ‖W − M1‖² + ‖Wᵀ − M2‖² minimal. */
    AVERAGE("average"),
    /** M1: the first layer unchanged, the second becomes its transpose. */
    FIRST("first"),
    /** M2ᵀ: the second layer unchanged, the first becomes its transpose. */
    SECOND("second");

    private final String parameterValue;

    TiedInit(String parameterValue) {
        this.parameterValue = parameterValue;
    }

    String parameterValue() {
        return parameterValue;
    }

    static Optional<TiedInit> parse(String value) {
        return Arrays.stream(values()).filter(v -> v.parameterValue.equalsIgnoreCase(value.strip())).findFirst();
    }

    static double[] tied(TiedInit init, double[] m1, double[] m2, int d, int h) {
        double[] w = new double[d * h];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < h; j++) {
                double a = m1[i * h + j];
                double b = m2[j * d + i];
                w[i * h + j] = switch (init) {
                    case AVERAGE -> (a + b) / 2;
                    case FIRST -> a;
                    case SECOND -> b;
                };
            }
        }
        return w;
    }
}
