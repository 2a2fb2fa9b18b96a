package io.caas.engine.compress.bilinear;

import static io.caas.engine.compress.bilinear.BilinearMatMulTest.I;
import static io.caas.engine.compress.bilinear.BilinearMatMulTest.INPUTS;
import static io.caas.engine.compress.bilinear.BilinearMatMulTest.J;
import static io.caas.engine.compress.bilinear.BilinearMatMulTest.K;
import static io.caas.engine.compress.bilinear.BilinearMatMulTest.SAMPLES;
import static io.caas.engine.compress.bilinear.BilinearMatMulTest.TOLERANCE;
import static io.caas.engine.compress.bilinear.BilinearMatMulTest.fixture;
import static io.caas.engine.compress.bilinear.BilinearMatMulTest.onlyBilinearLayer;
import static io.caas.engine.compress.bilinear.BilinearMatMulTest.onlyForm;
import static io.caas.engine.compress.bilinear.BilinearMatMulTest.ops;
import static org.assertj.core.api.Assertions.assertThat;

import io.caas.engine.compress.CompressionMethods;
import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.LayerReport;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.onnx.BilinearForm;
import io.caas.engine.onnx.BilinearLayers;
import io.caas.engine.onnx.BilinearMatMul;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.Weights;
import io.caas.engine.onnx.WeightedLayer;
import io.caas.engine.onnx.proto.Onnx.AttributeProto;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import io.caas.engine.testing.OnnxModelBuilder;
import io.caas.engine.testing.OrtVsInterpreter;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bilinear layers whose projection is nn.Linear(i, k·j) with a bias, exported by PyTorch 1.13 as
 * Gemm(x, W, c, transB=1): z_k = xᵀW_k y + Σ_j c[k,j]·y_j. The layer is found whole, its bias term is read from the
 * right columns, and the Hadamard form keeps that term exactly (as the bias of x·U).
 */
class BilinearGemmProjectionTest {

    @ParameterizedTest
    @ValueSource(strings = {"gemm-bias-opset13", "gemm-bias-squeeze-opset11"})
    void aGemmProjectionWithABiasIsOneBilinearLayerAndItsFullRankRewriteIsExact(String name) {
        ModelProto model = fixture(name);
        WeightedLayer layer = onlyBilinearLayer(model);
        assertThat(layer.opType()).isEqualTo("Gemm");
        assertThat(layer.matrixShape()).containsExactly(K, I, J);
        assertThat(layer.parameters()).isEqualTo(K * I * J + K * J); // W and the projection bias
        assertThat(ModelInspector.inspect(model).layers()).hasSize(1);
        BilinearForm form = onlyForm(model, BilinearMatMul.class);
        assertThat(form.first()).isEqualTo("x");
        assertThat(form.second()).isEqualTo("y");
        assertThat(form.projectionBias()).isPresent();

        BilinearMatMulTest.assertFullRankRewriteIsExact(model, layer, form, name);
    }

    @Test
    void theBiasTermIsReadFromTheColumnsThatMultiplyEachY() {
        // with x = 0 the layer is its linear term alone: ONNX Runtime's z_k must be Σ_j c[k,j]·y_j
        ModelProto model = fixture("gemm-bias-opset13");
        float[] c = onlyForm(model, BilinearMatMul.class).projectionBiasValues(Weights.of(model.getGraph()))
                .orElseThrow();
        float[] inputs = BilinearMatMulTest.inputs();
        for (int s = 0; s < SAMPLES; s++) {
            java.util.Arrays.fill(inputs, s * (I + J), s * (I + J) + I, 0f);
        }
        float[][] z = OrtVsInterpreter.onnxRuntime(model, INPUTS, inputs, SAMPLES);
        double worst = 0;
        double scale = 0;
        for (int s = 0; s < SAMPLES; s++) {
            for (int k = 0; k < K; k++) {
                double expected = 0;
                for (int j = 0; j < J; j++) {
                    expected += c[k * J + j] * inputs[s * (I + J) + I + j];
                }
                worst = Math.max(worst, Math.abs(expected - z[s][k]));
                scale = Math.max(scale, Math.abs(expected));
            }
        }
        assertThat(scale).isGreaterThan(0.5);
        assertThat(worst).isLessThan(1e-5);
    }

    @Test
    void gemmsThatAreNotThatProjectionAreRefused() {
        ModelProto model = fixture("gemm-bias-opset13");
        assertThat(BilinearLayers.byNode(model.getGraph())).hasSize(1);
        // a scaled product or bias is another layer (not exported by nn.Linear): refused rather than guessed
        assertThat(BilinearLayers.byNode(withGemmAttribute(model, "alpha", 0.5f).getGraph())).isEmpty();
        assertThat(BilinearLayers.byNode(withGemmAttribute(model, "beta", 2f).getGraph())).isEmpty();
        // x transposed is not x
        assertThat(BilinearLayers.byNode(withGemmInt(model, "transA", 1).getGraph())).isEmpty();
        // a bias fed at run time, or one value broadcast over all columns, is not c[k, j]
        assertThat(BilinearLayers.byNode(withBias(model, null).getGraph())).isEmpty();
        assertThat(BilinearLayers.byNode(withBias(model, new float[] {0.5f}).getGraph())).isEmpty();
        // without a bias the Gemm is a plain projection, the layer purely bilinear
        ModelProto noBias = withoutBias(model);
        assertThat(BilinearLayers.byNode(noBias.getGraph())).hasSize(1);
        assertThat(onlyForm(noBias, BilinearMatMul.class).projectionBias()).isEmpty();
    }

    @Test
    void theMethodFactorizesItWithTheBiasAsXSideBias() throws InterruptedException {
        ModelProto model = fixture("gemm-bias-opset13");
        CompressionResult r = BilinearMatMulTest.rankTwo(model);
        LayerReport layer = r.layers().get(0);
        assertThat(layer.factorized()).isTrue();
        assertThat(layer.parametersBefore()).isEqualTo(K * I * J + K * J);
        assertThat(layer.parametersAfter()).isEqualTo(2 * (K + I + 1 + J));
        System.out.printf("gemm-bias-opset13, rank 2: %s%n  %s%n  -> %s%n", layer.note(), ops(model),
                ops(r.compressed()));
        assertThat(ops(r.compressed())).containsExactly("Gemm", "MatMul", "Mul", "MatMul");
        assertThat(r.compressed().getGraph().getInitializerList()).extracting(TensorProto::getName)
                .containsExactlyInAnyOrder(layer.node() + ".U", layer.node() + ".Ubias", layer.node() + ".V",
                        layer.node() + ".P");
        assertThat(OrtVsInterpreter.maxAbsDiff(r.compressed(), INPUTS, BilinearMatMulTest.inputs(), SAMPLES))
                .isLessThanOrEqualTo(TOLERANCE);
    }

    /** A budget counts the bias row's value per rank, so no target is overshot by it. */
    @Test
    void everyReachableBudgetIsMetWithTheBiasRowCounted() throws InterruptedException {
        ModelProto model = fixture("gemm-bias-opset13");
        long before = ModelInspector.inspect(model).parameters();
        long untouched = before - (K * I * J + K * J);
        long floor = untouched + (K + I + 1 + J);
        for (long target = floor; target < before; target++) {
            CompressionResult r = CompressionMethods.get("bilinear").compress(new CompressionTask(model,
                    Map.of("targetParameters", target), Optional.empty(), Optional.empty()), ProgressListener.NONE);
            assertThat(ModelInspector.inspect(r.compressed()).parameters()).as("target %d", target)
                    .isLessThanOrEqualTo(target);
        }
    }

    private static ModelProto withGemmAttribute(ModelProto model, String name, float value) {
        return withGemm(model, AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT)
                .setF(value).build());
    }

    private static ModelProto withGemmInt(ModelProto model, String name, long value) {
        return withGemm(model, OnnxModelBuilder.integer(name, value));
    }

    private static ModelProto withGemm(ModelProto model, AttributeProto attribute) {
        GraphProto.Builder g = model.getGraph().toBuilder();
        for (int i = 0; i < g.getNodeCount(); i++) {
            NodeProto n = g.getNode(i);
            if (n.getOpType().equals("Gemm")) {
                NodeProto.Builder b = n.toBuilder().clearAttribute();
                n.getAttributeList().stream().filter(a -> !a.getName().equals(attribute.getName()))
                        .forEach(b::addAttribute);
                g.setNode(i, b.addAttribute(attribute));
            }
        }
        return model.toBuilder().setGraph(g).build();
    }

    /** The Gemm's bias replaced by a stored {@code values}, or by a graph input where {@code values} is null. */
    private static ModelProto withBias(ModelProto model, float[] values) {
        GraphProto.Builder g = model.getGraph().toBuilder();
        String bias = values == null ? "c_input" : "c_other";
        if (values == null) {
            g.addInput(new OnnxModelBuilder("c", 13).input(bias, K * J).build().getGraph().getInput(0));
        } else {
            g.addInitializer(Tensors.floatTensor(bias, values, values.length));
        }
        for (int i = 0; i < g.getNodeCount(); i++) {
            if (g.getNode(i).getOpType().equals("Gemm")) {
                g.setNode(i, g.getNode(i).toBuilder().setInput(2, bias));
            }
        }
        return model.toBuilder().setGraph(g).build();
    }

    private static ModelProto withoutBias(ModelProto model) {
        GraphProto.Builder g = model.getGraph().toBuilder();
        for (int i = 0; i < g.getNodeCount(); i++) {
            NodeProto n = g.getNode(i);
            if (n.getOpType().equals("Gemm")) {
                g.setNode(i, n.toBuilder().clearInput().addAllInput(List.of(n.getInput(0), n.getInput(1))));
            }
        }
        return model.toBuilder().setGraph(g).build();
    }
}
