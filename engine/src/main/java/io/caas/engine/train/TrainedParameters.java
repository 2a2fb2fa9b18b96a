package io.caas.engine.train;

import ai.djl.nn.Parameter;
import io.caas.engine.runtime.OnnxBlock;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Which weights a fine-tuning run trains and which it leaves as they are, counted per {@link TrainableGroup}.
 *
 * @param trained weights and their elements that train, by group
 * @param frozen  weights and their elements that stay fixed, by group (a method's own fixed weights, such as
 *                oialr's orthonormal bases, count as frozen compressed weights)
 */
public record TrainedParameters(Map<TrainableGroup, Count> trained, Map<TrainableGroup, Count> frozen) {

    /** @param elements the weights' parameter count */
    public record Count(int weights, long elements) {

        Count plus(long size) {
            return new Count(weights + 1, elements + size);
        }
    }

    public TrainedParameters {
        trained = Map.copyOf(trained);
        frozen = Map.copyOf(frozen);
    }

    /**
     * Freezes every weight of {@code block} outside {@code train} (weights already frozen stay so) and counts what
     * is left to train.
     *
     * @param compressed the weights the method wrote
     */
    public static TrainedParameters select(OnnxBlock block, Set<String> compressed, Set<TrainableGroup> train) {
        ParameterRoles roles = ParameterRoles.of(block.graph(), compressed);
        Map<TrainableGroup, Count> trained = new EnumMap<>(TrainableGroup.class);
        Map<TrainableGroup, Count> frozen = new EnumMap<>(TrainableGroup.class);
        for (Map.Entry<String, Parameter> e : block.weightParameters().entrySet()) {
            TrainableGroup group = roles.of(e.getKey());
            Parameter p = e.getValue();
            if (!train.contains(group)) {
                p.freeze(true);
            }
            long size = p.getArray().size();
            (p.requiresGradient() ? trained : frozen).merge(group, new Count(1, size),
                    (a, b) -> a.plus(size));
        }
        return new TrainedParameters(trained, frozen);
    }

    public long trainedElements() {
        return trained.values().stream().mapToLong(Count::elements).sum();
    }

    public int trainedWeights() {
        return trained.values().stream().mapToInt(Count::weights).sum();
    }

    /** One line for the job's log, e.g. "training 1,234 parameters in 40 weights (compressed 35: ...); frozen: ...". */
    public String describe() {
        return String.format(Locale.ROOT, "training %,d parameters in %d weights (%s); frozen: %s",
                trainedElements(), trainedWeights(), list(trained), frozen.isEmpty() ? "nothing" : list(frozen));
    }

    private static String list(Map<TrainableGroup, Count> counts) {
        List<String> parts = new ArrayList<>();
        for (TrainableGroup g : TrainableGroup.values()) {
            Count c = counts.get(g);
            if (c != null) {
                parts.add(String.format(Locale.ROOT, "%s %,d in %d", g.wireName(), c.elements(), c.weights()));
            }
        }
        return String.join(", ", parts);
    }
}
