package io.caas.engine.compress.bilinear;

import static io.caas.engine.compress.bilinear.BilinearMatMulTest.I;
import static io.caas.engine.compress.bilinear.BilinearMatMulTest.INPUTS;
import static io.caas.engine.compress.bilinear.BilinearMatMulTest.J;
import static io.caas.engine.compress.bilinear.BilinearMatMulTest.K;
import static io.caas.engine.compress.bilinear.BilinearMatMulTest.SAMPLES;
import static io.caas.engine.compress.bilinear.BilinearMatMulTest.TOLERANCE;
import static io.caas.engine.compress.bilinear.BilinearMatMulTest.fixture;
import static io.caas.engine.compress.bilinear.BilinearMatMulTest.ops;
import static org.assertj.core.api.Assertions.assertThat;

import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.LayerReport;
import io.caas.engine.onnx.BilinearBroadcastMatMul;
import io.caas.engine.onnx.BilinearLayers;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import io.caas.engine.testing.OnnxModelBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bilinear layers whose weight is stored [k, i, j] and used by a broadcasting MatMul, torch.matmul(x[:, None, None,
 * :], W), as PyTorch 1.13 exports them (opsets 11-17): the product squeezed and contracted with y by Mul/ReduceSum
 * or a matrix-vector product, or by a second broadcasting MatMul with y as a column and two Squeezes.
 */
class BilinearBroadcastMatMulTest {

    @ParameterizedTest
    @ValueSource(strings = {"broadcast-kij-opset11", "broadcast-kij-opset13", "broadcast-kij-matvec-opset15",
            "broadcast-kij-twice-opset13", "broadcast-kij-twice-opset17"})
    void eachBroadcastFormIsOneBilinearLayerAndItsFullRankRewriteIsExact(String name) {
        BilinearMatMulTest.assertTheOnlyLayerOfXAndYRewritesExactly(name, BilinearBroadcastMatMul.class);
    }

    @Test
    void mutationsThatBreakTheRowAndColumnLayoutAreRefused() {
        // opset 11: Unsqueeze and Squeeze axes are attributes, so one node's axes can be changed alone
        ModelProto model = fixture("broadcast-kij-opset11");
        assertThat(BilinearLayers.byNode(model.getGraph())).hasSize(1);
        // x[:, None, :, None]: a column, [N, 1, i, 1]; the product would be an outer product
        assertThat(BilinearLayers.byNode(withAxes(model, "Unsqueeze", 1, 3).getGraph())).isEmpty();
        // the squeeze of the out axis instead of the unit axis
        assertThat(BilinearLayers.byNode(withAxes(model, "Squeeze", 0, 1).getGraph())).isEmpty();
        // the product also read elsewhere
        assertThat(BilinearLayers.byNode(BilinearMatMulTest.withExtraReader(model, "MatMul").getGraph())).isEmpty();
        // x unsqueezed once only, [N, 1, i]: no row of rank 4
        assertThat(BilinearLayers.byNode(withoutNode(model, "Unsqueeze", 1).getGraph())).isEmpty();

        ModelProto twice = fixture("broadcast-kij-twice-opset17");
        assertThat(BilinearLayers.byNode(twice.getGraph())).hasSize(1);
        // only one of the two unit axes dropped: [N, k, 1] is not the layer's output
        assertThat(BilinearLayers.byNode(withoutNode(twice, "Squeeze", 1).getGraph())).isEmpty();
        // y's column read by another node too
        assertThat(BilinearLayers.byNode(withExtraReaderOf(twice, "Unsqueeze", 3).getGraph())).isEmpty();
    }

    @Test
    void theMethodFactorizesTheBroadcastFormAndOnlyItsNodesGo() throws InterruptedException {
        ModelProto model = fixture("broadcast-kij-twice-opset13");
        CompressionResult r = BilinearMatMulTest.rankTwo(model);
        LayerReport layer = r.layers().get(0);
        assertThat(layer.factorized()).isTrue();
        assertThat(layer.parametersAfter()).isEqualTo(2 * (K + I + J));
        System.out.printf("broadcast-kij-twice-opset13, rank 2: %s%n  %s%n  -> %s%n", layer.note(), ops(model),
                ops(r.compressed()));
        assertThat(ops(r.compressed())).containsExactly("MatMul", "MatMul", "Mul", "MatMul");
        assertThat(r.compressed().getGraph().getInitializerList()).extracting(TensorProto::getName)
                .containsExactlyInAnyOrder(layer.node() + ".U", layer.node() + ".V", layer.node() + ".P");
        assertThat(io.caas.engine.testing.OrtVsInterpreter.maxAbsDiff(r.compressed(), INPUTS,
                BilinearMatMulTest.inputs(), SAMPLES)).isLessThanOrEqualTo(TOLERANCE);
    }

    /** The {@code nth} {@code op} node (from 0) with its axes attribute set to {@code axes}. */
    private static ModelProto withAxes(ModelProto model, String op, int nth, long axis) {
        GraphProto.Builder g = model.getGraph().toBuilder();
        int at = nthNode(g, op, nth);
        NodeProto n = g.getNode(at);
        NodeProto.Builder b = n.toBuilder().clearAttribute();
        n.getAttributeList().stream().filter(a -> !a.getName().equals("axes")).forEach(b::addAttribute);
        g.setNode(at, b.addAttribute(OnnxModelBuilder.ints("axes", axis)));
        return model.toBuilder().setGraph(g).build();
    }

    /** The {@code nth} {@code op} node removed, its readers reading its input instead. */
    private static ModelProto withoutNode(ModelProto model, String op, int nth) {
        GraphProto.Builder g = model.getGraph().toBuilder();
        int at = nthNode(g, op, nth);
        String in = g.getNode(at).getInput(0);
        String out = g.getNode(at).getOutput(0);
        g.removeNode(at);
        for (int i = 0; i < g.getNodeCount(); i++) {
            NodeProto.Builder b = g.getNode(i).toBuilder();
            for (int k = 0; k < b.getInputCount(); k++) {
                if (b.getInput(k).equals(out)) {
                    b.setInput(k, in);
                }
            }
            g.setNode(i, b);
        }
        for (int i = 0; i < g.getOutputCount(); i++) {
            if (g.getOutput(i).getName().equals(out)) {
                g.setOutput(i, g.getOutput(i).toBuilder().setName(in));
            }
        }
        return model.toBuilder().setGraph(g).build();
    }

    /** The output of the {@code nth} {@code op} node also read by an Identity whose output is a graph output. */
    private static ModelProto withExtraReaderOf(ModelProto model, String op, int nth) {
        GraphProto.Builder g = model.getGraph().toBuilder();
        String read = g.getNode(nthNode(g, op, nth)).getOutput(0);
        g.addNode(NodeProto.newBuilder().setOpType("Identity").setName("extra").addInput(read).addOutput("extra"));
        g.addOutput(new OnnxModelBuilder("o", 13).output("extra").build().getGraph().getOutput(0));
        return model.toBuilder().setGraph(g).build();
    }

    private static int nthNode(GraphProto.Builder g, String op, int nth) {
        int seen = 0;
        for (int i = 0; i < g.getNodeCount(); i++) {
            if (g.getNode(i).getOpType().equals(op) && seen++ == nth) {
                return i;
            }
        }
        throw new AssertionError("no " + op + " number " + nth);
    }
}
