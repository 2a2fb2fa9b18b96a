package io.caas.engine.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.testing.OrtVsInterpreter;
import io.caas.engine.testing.PyTorchExports;
import java.io.InputStream;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Models exported by PyTorch 1.13 (scripts/export-recurrent-models.sh; committed, tens of kilobytes): nn.LSTM and
 * nn.GRU classifiers, one layer and two bidirectional, and a torch.jit.script model whose Conv and Linear sit in
 * the branches of a data-dependent if and in a loop. Each is counted exactly, runs in the interpreter as in ONNX
 * Runtime, and trains through its recurrent or control-flow nodes.
 */
class PyTorchRecurrentExportsTest {

    private static final double TOLERANCE = 1e-4;

    @ParameterizedTest
    @ValueSource(strings = {"lstm-1layer", "lstm-2layer-bi", "gru-1layer", "gru-2layer-bi", "scripted-branches"})
    void countedExactlyAndRunAsInOnnxRuntime(String name) throws Exception {
        ModelProto model = model(name);
        JsonObject meta = metadata().getAsJsonObject("models").getAsJsonObject(name);
        // Every float initializer and Constant counts: the scripted model's only float Constant is the 0 of
        // `x.mean() > 0`, one value beyond PyTorch's own count.
        long floatConstants = name.equals("scripted-branches") ? 1 : 0;
        assertThat(ModelInspector.inspect(model).parameters()).as("PyTorch's own parameter count")
                .isEqualTo(meta.get("parameters").getAsLong() + floatConstants);
        assertThat(ModelInspector.inspect(model).unsupportedOperators()).isEmpty();
        var input = meta.getAsJsonArray("input");
        long[] sample = {input.get(1).getAsLong(), input.get(2).getAsLong()};
        for (int samples : new int[] {1, 3}) {
            for (float shift : new float[] {0, -1}) { // the scripted model's if: mean above 0, and below
                double diff = OrtVsInterpreter.maxAbsDiff(model, sample, inputs(sample, samples, shift), samples);
                System.out.printf("%s, %d samples, inputs in [%.0f, %.0f): max abs diff vs ONNX Runtime %.2e%n", name,
                        samples, shift, shift + 1, diff);
                assertThat(diff).isLessThanOrEqualTo(TOLERANCE);
            }
        }
    }

    /** Every weight of the recurrent layers (W, R, B of each) gets a gradient through the steps. */
    @ParameterizedTest
    @ValueSource(strings = {"lstm-2layer-bi", "gru-2layer-bi"})
    void gradientsReachEveryRecurrentWeight(String name) throws Exception {
        ModelProto model = model(name);
        try (InterpretedModel m = OnnxInterpreter.load(model, Device.cpu());
             NDManager nd = NDManager.newBaseManager(Device.cpu(), OnnxInterpreter.ENGINE)) {
            List<String> recurrentWeights = m.block().graph().nodes().stream()
                    .filter(n -> n.opType().equals("LSTM") || n.opType().equals("GRU"))
                    .flatMap(n -> n.inputs().subList(1, 4).stream()).toList();
            assertThat(recurrentWeights).hasSize(6); // two layers: W, R, B each
            long[] sample = {7, 12};
            NDArray x = nd.create(inputs(sample, 2, -0.5f), new Shape(2, 7, 12));
            try (GradientCollector gc = Engine.getEngine(OnnxInterpreter.ENGINE).newGradientCollector()) {
                NDArray y = m.block().forward(new ParameterStore(nd, false), new NDList(x), true).singletonOrThrow();
                gc.backward(y.square().sum());
            }
            for (String w : recurrentWeights) {
                Parameter p = m.block().weightParameters().get(w);
                assertThat(p).as(w + " is learnable").isNotNull();
                assertThat(p.getArray().getGradient().abs().sum().getFloat()).as("|grad " + w + "|").isPositive();
            }
        }
    }

    private static float[] inputs(long[] sample, int samples, float shift) {
        float[] x = new float[(int) (sample[0] * sample[1]) * samples];
        SplittableRandom r = new SplittableRandom(15);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextDouble() + shift;
        }
        return x;
    }

    private static ModelProto model(String name) throws Exception {
        return PyTorchExports.read(name);
    }

    private static JsonObject metadata() throws Exception {
        try (InputStream in = PyTorchRecurrentExportsTest.class.getResourceAsStream(PyTorchExports.DIR + "pytorch-exports.json")) {
            return JsonParser.parseString(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8))
                    .getAsJsonObject();
        }
    }
}
