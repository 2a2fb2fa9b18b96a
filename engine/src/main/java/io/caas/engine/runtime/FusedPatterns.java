package io.caas.engine.runtime;

import ai.djl.ndarray.NDList;
import io.caas.engine.onnx.proto.Onnx.AttributeProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The node list a graph level runs, with the operator chains exporters write for LayerNorm ({@link LayerNormPattern})
 * and exact GELU ({@link GeluPattern}) each replaced by one ONNX node of the operator it spells out
 * (LayerNormalization, Gelu), which the registry runs as one libtorch kernel with its own backward, and a MatMul by a
 * weight followed by a bias Add ({@link LinearPattern}) by one linear node of this class's own domain. The node stands
 * where the chain's last node stood: every value it reads is computed before the chain began, every reader of its
 * result comes after.
 *
 * <p>Why: all-MiniLM-L6-v2 arrives with 13 LayerNorms of 9 operators and 6 GELUs of 5; their elementwise backward
 * passes cost about 97 ms per training step at batch 8 × 64 against about 15 ms for PyTorch's fused kernels
 * (issue 16's profile).
 */
final class FusedPatterns {

    /**
     * The domain of operators that exist only as fusions: no ONNX operator runs a dense layer on inputs of any rank,
     * so the fused node is named here and never written to a file or listed as supported.
     */
    static final String DOMAIN = "io.caas.fused";
    /**
     * x·W + b as one libtorch linear (addmm over x's rows, its backward the matching mm's): on one thread at MiniLM's
     * sizes, forward and backward of a 384 → 1,536 layer took 0.70-0.75 of the MatMul and Add as written.
     */
    static final String LINEAR = "Linear";

    private FusedPatterns() {
    }

    /** The operator running a fused node, or null for a node of another domain. */
    static Operator operator(OnnxNode node) {
        if (!node.domain().equals(DOMAIN) || !node.opType().equals(LINEAR)) {
            return null;
        }
        // linear takes the weight as (out × in), ONNX's MatMul as (in × out): the transposed view costs no copy
        return c -> new NDList(c.in(0).getNDArrayInternal().linear(c.in(0), c.in(1).transpose(), c.in(2))
                .singletonOrThrow());
    }

    static List<OnnxNode> fuse(List<OnnxNode> nodes, Map<String, TensorProto> weights, Set<String> graphOutputs) {
        Map<OnnxNode, OnnxNode> replacedBy = new HashMap<>();
        Set<OnnxNode> covered = new HashSet<>();
        for (LayerNormPattern.Match m : LayerNormPattern.find(nodes, weights, graphOutputs)) {
            OnnxNode last = m.nodes().get(m.nodes().size() - 1);
            replacedBy.put(last, new OnnxNode("LayerNorm fused at " + last.name(), "LayerNormalization", "",
                    List.of(m.input(), m.gamma(), m.beta()), List.of(m.output()),
                    Map.of("axis", intAttribute("axis", -1), "epsilon", floatAttribute("epsilon", m.epsilon())),
                    Map.of()));
            covered.addAll(m.nodes());
        }
        for (GeluPattern.Match m : GeluPattern.find(nodes, weights, graphOutputs)) {
            if (m.nodes().stream().anyMatch(covered::contains)) {
                continue;
            }
            OnnxNode last = m.nodes().get(m.nodes().size() - 1);
            replacedBy.put(last, new OnnxNode("Gelu fused at " + last.name(), "Gelu", "", List.of(m.input()),
                    List.of(m.output()), Map.of(), Map.of()));
            covered.addAll(m.nodes());
        }
        for (LinearPattern.Match m : LinearPattern.find(nodes, weights, graphOutputs)) {
            if (m.nodes().stream().anyMatch(covered::contains)) {
                continue;
            }
            OnnxNode last = m.nodes().get(m.nodes().size() - 1);
            replacedBy.put(last, new OnnxNode("Linear fused at " + last.name(), LINEAR, DOMAIN,
                    List.of(m.input(), m.weight(), m.bias()), List.of(m.output()), Map.of(), Map.of()));
            covered.addAll(m.nodes());
        }
        if (covered.isEmpty()) {
            return nodes;
        }
        List<OnnxNode> out = new ArrayList<>();
        for (OnnxNode n : nodes) {
            if (replacedBy.containsKey(n)) {
                out.add(replacedBy.get(n));
            } else if (!covered.contains(n)) {
                out.add(n);
            }
        }
        return out;
    }

    private static AttributeProto intAttribute(String name, long value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
    }

    private static AttributeProto floatAttribute(String name, float value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(value)
                .build();
    }
}
