package io.caas.engine.compress;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The parameters by which a request asks a method for the {@link SpeedCheck} ({@code onlyIfFaster}, and the
 * batch it times at besides 1), the same for every method that offers the check.
 */
public final class SpeedCheckParameters {

    public static final String ONLY_IF_FASTER = "onlyIfFaster";
    public static final String TIMING_BATCH_SIZE = "timingBatchSize";
    public static final int DEFAULT_TIMING_BATCH_SIZE = 32;
    /** Largest batch a layer is timed at: its input is held in memory once per comparison. */
    public static final int MAX_TIMING_BATCH_SIZE = 1024;
    public static final MethodParameter TIMING_BATCH_SIZE_PARAMETER = MethodParameter.integer(TIMING_BATCH_SIZE,
            (long) DEFAULT_TIMING_BATCH_SIZE, 1, (long) MAX_TIMING_BATCH_SIZE,
            "The batch size onlyIfFaster times at besides 1.", null);

    private SpeedCheckParameters() {
    }

    /**
     * The parameters with the check on at {@code batchSize} (unless they give a timing batch of their own), or
     * empty where they already say whether to check: a job's speed target does not overrule the request.
     */
    public static Optional<Map<String, Object>> withCheck(Map<String, Object> parameters, int batchSize) {
        if (parameters.containsKey(ONLY_IF_FASTER)) {
            return Optional.empty();
        }
        Map<String, Object> checked = new LinkedHashMap<>(parameters);
        checked.put(ONLY_IF_FASTER, true);
        checked.putIfAbsent(TIMING_BATCH_SIZE, batchSize);
        return Optional.of(checked);
    }
}
