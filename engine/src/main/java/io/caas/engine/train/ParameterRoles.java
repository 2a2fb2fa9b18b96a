package io.caas.engine.train;

import io.caas.engine.runtime.LayerNormPattern;
import io.caas.engine.runtime.OnnxGraph;
import io.caas.engine.runtime.OnnxNode;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Which {@link TrainableGroup} each weight of a graph belongs to, from how the graph reads it; the weights a
 * compression method wrote are named by the method, since the graph cannot tell them apart.
 */
public final class ParameterRoles {

    /** Inputs of the normalisation operators that hold their scale, shift and statistics. */
    private static final Map<String, Set<Integer>> NORMALIZATION_INPUTS = Map.of(
            "LayerNormalization", Set.of(1, 2),
            "BatchNormalization", Set.of(1, 2, 3, 4),
            "InstanceNormalization", Set.of(1, 2),
            "GroupNormalization", Set.of(1, 2));

    private final Set<String> compressed;
    private final Set<String> normalization = new HashSet<>();
    private final Set<String> embeddings = new HashSet<>();

    private ParameterRoles(OnnxGraph graph, Set<String> compressed) {
        this.compressed = Set.copyOf(compressed);
        Map<String, Boolean> onlyGathered = new HashMap<>();
        for (OnnxNode n : (Iterable<OnnxNode>) graph.allNodes()::iterator) {
            Set<Integer> norm = n.domain().isEmpty() ? NORMALIZATION_INPUTS.getOrDefault(n.opType(), Set.of())
                    : Set.of();
            for (int i = 0; i < n.inputs().size(); i++) {
                String v = n.inputs().get(i);
                if (norm.contains(i)) {
                    normalization.add(v);
                }
                onlyGathered.merge(v, n.opType().equals("Gather") && i == 0, Boolean::logicalAnd);
            }
        }
        onlyGathered.forEach((v, only) -> {
            if (only && graph.weights().containsKey(v)) {
                embeddings.add(v);
            }
        });
        for (LayerNormPattern.Match m : LayerNormPattern.find(graph)) {
            normalization.add(m.gamma());
            normalization.add(m.beta());
        }
    }

    /** @param compressed the weights the method wrote */
    public static ParameterRoles of(OnnxGraph graph, Set<String> compressed) {
        return new ParameterRoles(graph, compressed);
    }

    public TrainableGroup of(String weight) {
        if (compressed.contains(weight)) {
            return TrainableGroup.COMPRESSED;
        }
        if (embeddings.contains(weight)) {
            return TrainableGroup.EMBEDDINGS;
        }
        return normalization.contains(weight) ? TrainableGroup.NORMALIZATION : TrainableGroup.OTHER;
    }
}
