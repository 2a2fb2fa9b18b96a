package io.caas.engine.compress.tensor;

import io.caas.engine.compress.GraphEdits;
import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.proto.Onnx.AttributeProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Rewrites a model with some Conv nodes replaced by chains of smaller Conv nodes. Each replaced kernel is dropped
 * unless another node still reads it; the chain's weights are new initializers (graph inputs too in IR < 4
 * models that list weights there). Geometry: see {@link ConvStage.Geometry}.
 */
final class ConvChainExport {

    /** The chain for the Conv at {@code nodeIndex}. */
    record Replacement(int nodeIndex, String nodeName, List<ConvStage> stages) {
    }

    private final ModelProto model;
    private final String prefix;
    private final Set<String> names;

    ConvChainExport(ModelProto model, String prefix) {
        this.model = model;
        this.prefix = prefix;
        this.names = GraphEdits.takenNames(model.getGraph());
    }

    ModelProto apply(List<Replacement> replacements) {
        Map<Integer, Replacement> byNode = new HashMap<>();
        replacements.forEach(r -> byNode.put(r.nodeIndex(), r));
        return GraphEdits.replaceNodes(model, byNode, (i, node, r, nodes, weights) -> {
            if (!node.getOpType().equals("Conv")) {
                throw new IllegalArgumentException("node " + i + " is a " + node.getOpType() + ", not a Conv");
            }
            String input = node.getInput(0);
            for (int s = 0; s < r.stages().size(); s++) {
                ConvStage stage = r.stages().get(s);
                boolean last = s == r.stages().size() - 1;
                String weight = unique(r.nodeName() + "/" + prefix + "_" + s + "_weight");
                weights.add(Tensors.floatTensor(weight, stage.weight(), stage.dims()));
                NodeProto.Builder conv = NodeProto.newBuilder().setOpType("Conv")
                        .setName(unique(r.nodeName() + "/" + prefix + "_" + s))
                        .addInput(input).addInput(weight)
                        .addAllAttribute(attributes(node, stage));
                if (last) {
                    if (node.getInputCount() > 2 && !node.getInput(2).isEmpty()) {
                        conv.addInput(node.getInput(2));
                    }
                    conv.addAllOutput(node.getOutputList());
                } else {
                    input = unique(r.nodeName() + "/" + prefix + "_" + s + "_out");
                    conv.addOutput(input);
                }
                nodes.add(conv.build());
            }
        });
    }

    /** The stage's kernel_shape and group, and the part of the original's strides, pads and dilations it takes. */
    private static List<AttributeProto> attributes(NodeProto node, ConvStage stage) {
        long[] strides = GraphEdits.ints(node, "strides", new long[] {1, 1});
        long[] dilations = GraphEdits.ints(node, "dilations", new long[] {1, 1});
        long[] pads = GraphEdits.ints(node, "pads", new long[] {0, 0, 0, 0});
        String autoPad = autoPad(node);
        List<AttributeProto> out = new ArrayList<>();
        out.add(GraphEdits.intsAttribute("kernel_shape", stage.dims()[2], stage.dims()[3]));
        if (stage.group() != 1) {
            out.add(AttributeProto.newBuilder().setName("group").setType(AttributeProto.AttributeType.INT)
                    .setI(stage.group()).build());
        }
        switch (stage.geometry()) {
            case POINTWISE -> {
                return out;
            }
            case ORIGINAL -> {
                out.add(GraphEdits.intsAttribute("strides", strides));
                out.add(GraphEdits.intsAttribute("dilations", dilations));
                padding(out, autoPad, pads);
            }
            case VERTICAL -> {
                out.add(GraphEdits.intsAttribute("strides", strides[0], 1));
                out.add(GraphEdits.intsAttribute("dilations", dilations[0], 1));
                padding(out, autoPad, new long[] {pads[0], 0, pads[2], 0});
            }
            case HORIZONTAL -> {
                out.add(GraphEdits.intsAttribute("strides", 1, strides[1]));
                out.add(GraphEdits.intsAttribute("dilations", 1, dilations[1]));
                padding(out, autoPad, new long[] {0, pads[1], 0, pads[3]});
            }
        }
        return out;
    }

    /** SAME_* and VALID pad each axis on its own, so an axis-split stage keeps the original's auto_pad. */
    private static void padding(List<AttributeProto> out, String autoPad, long[] pads) {
        if (!autoPad.isEmpty() && !autoPad.equals("NOTSET")) {
            out.add(AttributeProto.newBuilder().setName("auto_pad").setType(AttributeProto.AttributeType.STRING)
                    .setS(com.google.protobuf.ByteString.copyFromUtf8(autoPad)).build());
        } else {
            out.add(GraphEdits.intsAttribute("pads", pads));
        }
    }

    private static String autoPad(NodeProto node) {
        for (AttributeProto a : node.getAttributeList()) {
            if (a.getName().equals("auto_pad")) {
                return a.getS().toStringUtf8();
            }
        }
        return "";
    }



    private String unique(String base) {
        return GraphEdits.unique(names, base);
    }
}
