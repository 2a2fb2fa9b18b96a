package io.caas.engine.compress.ldr;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.runtime.InterpretedModel;
import io.caas.engine.runtime.OnnxInterpreter;
import io.caas.engine.testing.OnnxModelBuilder;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A MatMul on [N, S, in] input, as in token models: the FFT form flattens the leading axes and gives them back, and
 * computes what the dense form computes (in ONNX Runtime and in the interpreter), with the 16×24 weight padded to
 * two 16×16 blocks on the output side.
 */
class FourierMatMulTest {

    private static final int SAMPLES = 4;

    @Test
    void theFftFormOfATokenMatMulEqualsTheDenseForm() throws Exception {
        SplittableRandom r = new SplittableRandom(9);
        ModelProto model = new OnnxModelBuilder("tokens-dense", 13).input("x", -1, 3, 16)
                .initializer("w0", OnnxModelBuilder.randomWeights(r, 16 * 24, 16), 16, 24)
                .initializer("w1", OnnxModelBuilder.randomWeights(r, 24 * 5, 24), 24, 5)
                .node("MatMul", List.of("x", "w0"), List.of("h"))
                .node("Relu", List.of("h"), List.of("a"))
                .node("MatMul", List.of("a", "w1"), List.of("y"))
                .output("y", -1, 3, 5).build();
        String first = ModelInspector.inspect(model).layers().get(0).node();
        float[] x = new float[SAMPLES * 3 * 16];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.cos(i * 0.61) * 3;
        }
        ModelProto fft = ldr(model, first, Product.FOURIER);
        ModelProto dense = ldr(model, first, Product.DENSE_WEIGHT);
        float[] ortFft = OrtOutputs.run(fft, x, SAMPLES, 3, 16);
        float[] ortDense = OrtOutputs.run(dense, x, SAMPLES, 3, 16);
        float[] interpreter;
        try (InterpretedModel m = OnnxInterpreter.load(fft, Device.cpu());
             NDManager nd = m.manager().newSubManager()) {
            var out = m.forward(new NDList(nd.create(x, new Shape(SAMPLES, 3, 16)))).head();
            assertThat(out.getShape()).isEqualTo(new Shape(SAMPLES, 3, 5));
            interpreter = out.toFloatArray();
        }
        double scale = OrtOutputs.maxAbs(ortDense);
        System.out.printf("token MatMul, FFT form: max |ORT fft - ORT dense| %.2e, max |interpreter - ORT| %.2e, "
                + "max |output| %.3f%n", OrtOutputs.maxDiff(ortFft, ortDense),
                OrtOutputs.maxDiff(interpreter, ortFft), scale);
        assertThat(scale).isGreaterThan(0.01);
        assertThat(OrtOutputs.maxDiff(ortFft, ortDense) / scale).isLessThan(1e-4);
        assertThat(OrtOutputs.maxDiff(interpreter, ortFft) / scale).isLessThan(1e-4);
    }

    private static ModelProto ldr(ModelProto model, String layer, Product product) throws InterruptedException {
        return new LdrMethod().compress(new CompressionTask(model, Map.of("layers", List.of(layer), "apply",
                product.wireName()), Optional.empty(), Optional.empty()), ProgressListener.NONE).compressed();
    }
}
