package io.caas.engine.compress;

import io.caas.engine.onnx.Subgraphs;
import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.proto.Onnx.AttributeProto;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Rewrites a model so that chosen layers become two (or, with a middle factor, three) smaller layers holding the
 * factors. The dense weight is not rebuilt anywhere: the file really holds only the factors. Graph inputs,
 * outputs, opset and IR version stay as they were; new weights are initializers even where the original used
 * Constant nodes.
 */
public final class FactorizedExport {

    /**
     * One layer's replacement: the factors and the original node they stand for. Dense layers compute
     * x·first(·middle)·second with first (in × r), middle (r × r), second (r × out); conv layers run first as r
     * filters of the original kernel (r, in, kh, kw), then middle (r, r, 1, 1) and second (out, r, 1, 1) as 1×1
     * convolutions. {@code middle} is null for the usual two-factor form. A {@code spatial} conv replacement
     * instead splits the kernel: first (r, in, kh, 1) with the original's vertical stride, padding and dilation,
     * then second (out, r, 1, kw) with the horizontal ones (Jaderberg et al. 2014). A recurrent node (LSTM, GRU,
     * RNN) runs first (in × r) as a MatMul on its input and takes second (directions, gates·hidden, r) as its W.
     */
    public record Replacement(int nodeIndex, String nodeName, float[] first, long[] firstDims, float[] middle,
                              long[] middleDims, float[] second, long[] secondDims, boolean spatial) {

        public Replacement(int nodeIndex, String nodeName, float[] first, long[] firstDims, float[] middle,
                           long[] middleDims, float[] second, long[] secondDims) {
            this(nodeIndex, nodeName, first, firstDims, middle, middleDims, second, secondDims, false);
        }

        public Replacement(int nodeIndex, String nodeName, float[] first, long[] firstDims, float[] second,
                           long[] secondDims) {
            this(nodeIndex, nodeName, first, firstDims, null, null, second, secondDims, false);
        }

        /** The same factors for the node at another index (the layer cut out as a model of its own). */
        public Replacement atNode(int index) {
            return new Replacement(index, nodeName, first, firstDims, middle, middleDims, second, secondDims, spatial);
        }
    }

    private final ModelProto model;
    private final String prefix;
    private final Set<String> names;
    private final Map<Integer, List<String>> factorNames = new HashMap<>();
    private final Map<String, List<String>> factorNamesByPath = new HashMap<>();

    public FactorizedExport(ModelProto model) {
        this(model, "svd");
    }

    /** @param prefix starts the names of the new nodes and weights ("svd" gives "node/svd_first_weight") */
    public FactorizedExport(ModelProto model, String prefix) {
        this(model, prefix, GraphEdits.takenNames(model.getGraph()));
    }

    /**
     * @param taken the names new ones must avoid, added to as they are given: a subgraph's rewrite passes those of
     *              every scope, since ONNX value names are unique across a model's scopes
     */
    FactorizedExport(ModelProto model, String prefix, Set<String> taken) {
        this.model = model;
        this.prefix = prefix;
        this.names = taken;
    }

    /** Weight names given to each replaced node's factors by the last {@link #apply}, first to second. */
    public Map<Integer, List<String>> factorNames() {
        return factorNames;
    }

    public ModelProto apply(List<Replacement> replacements) {
        Map<Integer, Replacement> byNode = new HashMap<>();
        replacements.forEach(r -> byNode.put(r.nodeIndex(), r));
        return GraphEdits.replaceNodes(model, byNode, (i, node, r, nodes, factors) -> {
            String a = unique(r.nodeName() + "/" + prefix + "_first_weight");
            String s = r.middle() == null ? null : unique(r.nodeName() + "/" + prefix + "_middle_weight");
            String b = unique(r.nodeName() + "/" + prefix + "_second_weight");
            factors.add(Tensors.floatTensor(a, r.first(), r.firstDims()));
            if (s != null) {
                factors.add(Tensors.floatTensor(s, r.middle(), r.middleDims()));
            }
            factors.add(Tensors.floatTensor(b, r.second(), r.secondDims()));
            factorNames.put(i, s == null ? List.of(a, b) : List.of(a, s, b));
            nodes.addAll(switch (node.getOpType()) {
                case "MatMul" -> matMul(node, r, a, s, b);
                case "Gemm" -> gemm(node, r, a, s, b);
                case "Conv" -> conv(node, r, a, s, b);
                case "LSTM", "GRU", "RNN" -> recurrent(node, r, a, s, b);
                default -> throw new IllegalArgumentException("cannot factorize a " + node.getOpType() + " node");
            });
        });
    }

    /**
     * As {@link #apply}, for layers inside If branches and Loop/Scan bodies (at any depth), each keyed by its path
     * ({@link Subgraphs#nodePath}): each is rewritten in its own subgraph, whose initializers take its factors, so
     * the model keeps its control flow. A weight a subgraph read from an outer scope is dropped there once no scope
     * reads it any more. The factors' names, by path, are in {@link #factorNamesByPath()} afterwards.
     */
    public ModelProto applyInSubgraphs(Map<String, Replacement> byPath) {
        factorNamesByPath.clear();
        if (byPath.isEmpty()) {
            return model;
        }
        Set<String> taken = GraphEdits.takenNamesInAllScopes(model.getGraph());
        Set<String> replacedWeights = new HashSet<>();
        GraphProto rewritten = Subgraphs.rewrite(model.getGraph(), (path, g) -> {
            List<Replacement> here = new ArrayList<>();
            Map<Integer, String> pathAt = new HashMap<>();
            for (int i = 0; i < g.getNodeCount(); i++) {
                String at = Subgraphs.nodePath(path, g.getNode(i), i);
                Replacement r = byPath.get(at);
                if (r != null) {
                    here.add(r.atNode(i));
                    pathAt.put(i, at);
                    replacedWeights.add(g.getNode(i).getInput(1));
                }
            }
            if (here.isEmpty()) {
                return g;
            }
            FactorizedExport inner = new FactorizedExport(model.toBuilder().setGraph(g).build(), prefix, taken);
            GraphProto out = inner.apply(here).getGraph();
            inner.factorNames().forEach((i, names) -> factorNamesByPath.put(pathAt.get(i), names));
            return out;
        });
        Set<String> dropped = GraphEdits.unreadWeights(rewritten, rewritten.getNodeList(), replacedWeights);
        return model.toBuilder().setGraph(GraphEdits.withoutDropped(rewritten, rewritten.getNodeList(), dropped,
                List.of())).build();
    }

    /** Weight names given to each replaced layer's factors by the last {@link #applyInSubgraphs}, by its path. */
    public Map<String, List<String>> factorNamesByPath() {
        return factorNamesByPath;
    }

    /** y = x·W with W (in × out) = A (in × r) · B (r × out), or A·S·B with a middle factor. */
    private List<NodeProto> matMul(NodeProto node, Replacement r, String a, String s, String b) {
        List<NodeProto> out = new ArrayList<>();
        String mid = unique(r.nodeName() + "/" + prefix + "_mid");
        out.add(NodeProto.newBuilder().setOpType("MatMul").setName(unique(r.nodeName() + "/" + prefix + "_first"))
                .addInput(node.getInput(0)).addInput(a).addOutput(mid).build());
        mid = middleMatMul(r, s, mid, out);
        out.add(NodeProto.newBuilder().setOpType("MatMul").setName(unique(r.nodeName() + "/" + prefix + "_second"))
                .addInput(mid).addInput(b).addAllOutput(node.getOutputList()).build());
        return out;
    }

    /**
     * An LSTM/GRU/RNN whose input weights W (directions, gates·hidden, in) = (A·B)ᵀ per direction: X·A (in × r), one
     * MatMul for every step and both directions, which read the same X, then the node itself on r features with B
     * as its W (directions, gates·hidden, r). R, the biases, initial states and every attribute stay as they were: the
     * node's hidden state does not depend on the width of its input.
     */
    private List<NodeProto> recurrent(NodeProto node, Replacement r, String a, String s, String b) {
        List<NodeProto> out = new ArrayList<>();
        String mid = unique(r.nodeName() + "/" + prefix + "_projected_input");
        out.add(NodeProto.newBuilder().setOpType("MatMul").setName(unique(r.nodeName() + "/" + prefix + "_projection"))
                .addInput(node.getInput(0)).addInput(a).addOutput(mid).build());
        mid = middleMatMul(r, s, mid, out);
        out.add(node.toBuilder().setInput(0, mid).setInput(1, b).build());
        return out;
    }

    private String middleMatMul(Replacement r, String s, String in, List<NodeProto> out) {
        if (s == null) {
            return in;
        }
        String mid = unique(r.nodeName() + "/" + prefix + "_mid");
        out.add(NodeProto.newBuilder().setOpType("MatMul").setName(unique(r.nodeName() + "/" + prefix + "_middle"))
                .addInput(in).addInput(s).addOutput(mid).build());
        return mid;
    }

    /**
     * Y = alpha·op(X)·op(W) + beta·C: op(X) is kept by a Transpose where transA is set; the factors are of
     * op(W) (in × out) with alpha folded into the second, so the second layer is a Gemm with alpha 1 and the
     * original beta and C (or a MatMul when there is no C).
     */
    private List<NodeProto> gemm(NodeProto node, Replacement r, String a, String s, String b) {
        List<NodeProto> out = new ArrayList<>();
        String x = node.getInput(0);
        if (intAttr(node, "transA") == 1) {
            String xt = unique(r.nodeName() + "/" + prefix + "_transposed_input");
            out.add(NodeProto.newBuilder().setOpType("Transpose").setName(unique(r.nodeName() + "/" + prefix + "_transpose"))
                    .addInput(x).addOutput(xt).addAttribute(AttributeProto.newBuilder().setName("perm")
                            .setType(AttributeProto.AttributeType.INTS).addInts(1).addInts(0)).build());
            x = xt;
        }
        String mid = unique(r.nodeName() + "/" + prefix + "_mid");
        out.add(NodeProto.newBuilder().setOpType("MatMul").setName(unique(r.nodeName() + "/" + prefix + "_first"))
                .addInput(x).addInput(a).addOutput(mid).build());
        mid = middleMatMul(r, s, mid, out);
        boolean hasBias = node.getInputCount() > 2 && !node.getInput(2).isEmpty();
        NodeProto.Builder second = NodeProto.newBuilder().setName(unique(r.nodeName() + "/" + prefix + "_second"))
                .addInput(mid).addInput(b).addAllOutput(node.getOutputList());
        if (hasBias) {
            second.setOpType("Gemm").addInput(node.getInput(2));
            for (AttributeProto attr : node.getAttributeList()) {
                // beta and the legacy broadcast flag still apply to C; alpha is in B, transposes are resolved
                if (!attr.getName().equals("alpha") && !attr.getName().equals("transA")
                        && !attr.getName().equals("transB")) {
                    second.addAttribute(attr);
                }
            }
        } else {
            second.setOpType("MatMul");
        }
        out.add(second.build());
        return out;
    }

    /**
     * Conv W (out, in, kh, kw) = U·V: r filters of the original kernel, strides, pads and dilations, then a
     * 1×1 Conv mixing them into the original output channels, with the original bias.
     */
    private List<NodeProto> conv(NodeProto node, Replacement r, String a, String s, String b) {
        if (r.spatial()) {
            return spatialConv(node, r, a, b);
        }
        List<NodeProto> out = new ArrayList<>();
        String mid = unique(r.nodeName() + "/" + prefix + "_mid");
        out.add(NodeProto.newBuilder().setOpType("Conv").setName(unique(r.nodeName() + "/" + prefix + "_first"))
                .addInput(node.getInput(0)).addInput(a).addOutput(mid).addAllAttribute(node.getAttributeList()).build());
        if (s != null) {
            String next = unique(r.nodeName() + "/" + prefix + "_mid");
            out.add(NodeProto.newBuilder().setOpType("Conv").setName(unique(r.nodeName() + "/" + prefix + "_middle"))
                    .addInput(mid).addInput(s).addOutput(next).addAttribute(pointwise(r.middleDims())).build());
            mid = next;
        }
        NodeProto.Builder second = NodeProto.newBuilder().setOpType("Conv")
                .setName(unique(r.nodeName() + "/" + prefix + "_second"))
                .addInput(mid).addInput(b).addAllOutput(node.getOutputList()).addAttribute(pointwise(r.secondDims()));
        if (node.getInputCount() > 2 && !node.getInput(2).isEmpty()) {
            second.addInput(node.getInput(2));
        }
        out.add(second.build());
        return out;
    }

    /**
     * Conv W (out, in, kh, kw) ≈ H·V: a kh×1 conv of r filters carrying the vertical stride, padding and dilation,
     * then a 1×kw conv into the original outputs carrying the horizontal ones, with the original bias.
     */
    private List<NodeProto> spatialConv(NodeProto node, Replacement r, String a, String b) {
        long[] strides = GraphEdits.ints(node, "strides", new long[] {1, 1});
        long[] dilations = GraphEdits.ints(node, "dilations", new long[] {1, 1});
        long[] pads = GraphEdits.ints(node, "pads", new long[] {0, 0, 0, 0});
        String mid = unique(r.nodeName() + "/" + prefix + "_mid");
        NodeProto.Builder vertical = NodeProto.newBuilder().setOpType("Conv")
                .setName(unique(r.nodeName() + "/" + prefix + "_vertical"))
                .addInput(node.getInput(0)).addInput(a).addOutput(mid)
                .addAttribute(GraphEdits.intsAttribute("kernel_shape", r.firstDims()[2], 1))
                .addAttribute(GraphEdits.intsAttribute("strides", strides[0], 1))
                .addAttribute(GraphEdits.intsAttribute("dilations", dilations[0], 1))
                .addAttribute(GraphEdits.intsAttribute("pads", pads[0], 0, pads[2], 0));
        NodeProto.Builder horizontal = NodeProto.newBuilder().setOpType("Conv")
                .setName(unique(r.nodeName() + "/" + prefix + "_horizontal"))
                .addInput(mid).addInput(b).addAllOutput(node.getOutputList())
                .addAttribute(GraphEdits.intsAttribute("kernel_shape", 1, r.secondDims()[3]))
                .addAttribute(GraphEdits.intsAttribute("strides", 1, strides[1]))
                .addAttribute(GraphEdits.intsAttribute("dilations", 1, dilations[1]))
                .addAttribute(GraphEdits.intsAttribute("pads", 0, pads[1], 0, pads[3]));
        if (node.getInputCount() > 2 && !node.getInput(2).isEmpty()) {
            horizontal.addInput(node.getInput(2));
        }
        return List.of(vertical.build(), horizontal.build());
    }



    /** kernel_shape of a 1×1 conv (size 1 for a 1-D conv) with these kernel dims. */
    private static AttributeProto pointwise(long[] kernelDims) {
        AttributeProto.Builder shape = AttributeProto.newBuilder().setName("kernel_shape")
                .setType(AttributeProto.AttributeType.INTS);
        for (int i = 2; i < kernelDims.length; i++) {
            shape.addInts(1);
        }
        return shape.build();
    }

    public static long intAttr(NodeProto node, String name) {
        for (AttributeProto a : node.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a.getI();
            }
        }
        return 0;
    }

    private String unique(String base) {
        return GraphEdits.unique(names, base);
    }
}
