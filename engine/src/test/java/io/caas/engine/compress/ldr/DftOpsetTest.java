package io.caas.engine.compress.ldr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import io.caas.engine.compress.InvalidParametersException;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.runtime.InterpretedModel;
import io.caas.engine.runtime.OnnxInterpreter;
import io.caas.engine.testing.OnnxModelBuilder;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which models can take DFT nodes, and at which opset. */
class DftOpsetTest {

    @Test
    void opset17AndLaterAreKeptAndThirteenToSixteenRaisedTo17() {
        assertThat(DftOpset.of(17, Set.of("Gemm")).opset()).isEqualTo(17);
        assertThat(DftOpset.of(20, Set.of("Gemm")).opset()).isEqualTo(20);
        assertThat(DftOpset.of(13, Set.of("Gemm", "Relu")).opset()).isEqualTo(17);
        assertThat(DftOpset.of(16, Set.of("RoiAlign")).opset()).isEqualTo(17);
    }

    @Test
    void opsetsBefore13AndRoiAlignBefore16AreRefusedWithTheReason() {
        assertThat(DftOpset.of(11, Set.of("Gemm")).refusal()).contains("opset 11 predates 13")
                .contains("Squeeze, Unsqueeze, Split and Reduce");
        assertThat(DftOpset.of(15, Set.of("RoiAlign")).refusal()).contains("RoiAlign");
    }

    @Test
    void askingForFftOnAnOpset11ModelIsAValidationProblemWhileDenseIsFine() {
        var summary = ModelInspector.inspect(OnnxModelBuilder.tokenModel(1, 50, 16, 32, 4));
        assertThat(summary.opsetVersion()).isEqualTo(11);
        assertThatThrownBy(() -> new LdrMethod().validate(Map.of("apply", "fft"), summary))
                .isInstanceOf(InvalidParametersException.class)
                .hasMessageContaining("apply: fft needs the DFT operator, but the model's opset 11 predates 13");
        new LdrMethod().validate(Map.of("apply", "dense"), summary);
    }

    @Test
    void anOpset20ModelGetsDftWithItsAxisAsAnInput() throws Exception {
        var model = OnnxModelBuilder.gemmMlp(3, 32, 16, 4).toBuilder();
        model.setOpsetImport(0, model.getOpsetImport(0).toBuilder().setVersion(20));
        String first = ModelInspector.inspect(model.build()).layers().get(0).node();
        var layers = LdrOnFashionMnistTest.closedFormLayers(model.build(), Set.of(first));
        assertThat(layers).hasSize(1);
        var exported = new StructuredExport(model.build(), Product.FOURIER).apply(layers);
        assertThat(ModelInspector.defaultOpset(exported)).isEqualTo(20);
        assertThat(exported.getGraph().getNodeList()).filteredOn(n -> n.getOpType().equals("DFT"))
                .isNotEmpty().allSatisfy(n -> {
                    assertThat(n.getInputCount()).isEqualTo(3);
                    assertThat(n.getAttributeList()).noneMatch(a -> a.getName().equals("axis"));
                });
        // and it computes what the opset-17 form computes, in ONNX Runtime and in the interpreter
        var at17 = new StructuredExport(OnnxModelBuilder.gemmMlp(3, 32, 16, 4), Product.FOURIER).apply(layers);
        float[] x = new float[8 * 32];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(i * 0.37);
        }
        float[] ort20 = OrtOutputs.run(exported, x, 8, 32);
        float[] ort17 = OrtOutputs.run(at17, x, 8, 32);
        float[] interp20;
        try (InterpretedModel m = OnnxInterpreter.load(exported, Device.cpu());
             NDManager nd = m.manager().newSubManager()) {
            interp20 = m.forward(new NDList(nd.create(x, new Shape(8, 32)))).head().toFloatArray();
        }
        for (int i = 0; i < ort20.length; i++) {
            assertThat(ort20[i]).isCloseTo(ort17[i], within(1e-5f));
            assertThat(interp20[i]).isCloseTo(ort20[i], within(1e-5f));
        }
    }
}
