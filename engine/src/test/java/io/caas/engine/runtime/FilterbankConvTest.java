package io.caas.engine.runtime;

import static io.caas.engine.runtime.TinyModels.intAttr;
import static io.caas.engine.runtime.TinyModels.intsAttr;
import static io.caas.engine.runtime.TinyModels.node;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A long single-channel filterbank (an STFT exported as a Conv) is summed in float64 where nothing upstream trains:
 * each output is the exact sum rounded once to float32, however much its terms cancel, where a float32 sum's error
 * depends on its order. A training pass through it keeps its gradients.
 */
class FilterbankConvTest {

    private static final int SIGNAL = 4096;
    private static final int TAPS = 512;
    private static final int FILTERS = 16;
    private static final int HOP = 160;

    private static ModelProto filterbank(float[] w) {
        GraphProto g = GraphProto.newBuilder().setName("stft")
                .addNode(node("Conv", new String[] {"x", "w"}, new String[] {"y"}, intsAttr("strides", HOP),
                        intAttr("group", 1)))
                .addInput(TinyModels.floatTensor("x", 1, 1, SIGNAL))
                .addInitializer(Tensors.floatTensor("w", w, FILTERS, 1, TAPS))
                .addOutput(TinyModels.floatTensor("y", 1, FILTERS, (SIGNAL - TAPS) / HOP + 1)).build();
        return TinyModels.model(g, 13);
    }

    @Test
    void everyOutputOfASingleChannelFilterbankIsItsExactSumRoundedOnce() {
        Random rnd = new Random(15);
        float[] x = new float[SIGNAL];
        for (int i = 0; i < x.length; i++) {
            // a loud tone and a little noise: the filters' sums cancel strongly away from the tone's frequency
            x[i] = (float) (1000 * Math.sin(i * 0.05) + rnd.nextGaussian());
        }
        float[] w = new float[FILTERS * TAPS];
        for (int f = 0; f < FILTERS; f++) {
            for (int k = 0; k < TAPS; k++) {
                w[f * TAPS + k] = (float) Math.cos(2 * Math.PI * (f + 40) * k / TAPS);
            }
        }
        ModelProto model = filterbank(w);

        float[] y;
        try (NDManager nd = NDManager.newBaseManager(Device.cpu());
             InterpretedModel m = OnnxInterpreter.load(model, Device.cpu())) {
            y = m.forward(new NDList(nd.create(x, new Shape(1, 1, SIGNAL)))).head().toFloatArray();
        }

        int frames = (SIGNAL - TAPS) / HOP + 1;
        int inexact = 0;
        for (int f = 0; f < FILTERS; f++) {
            for (int t = 0; t < frames; t++) {
                double exact = 0;
                for (int k = 0; k < TAPS; k++) {
                    exact += (double) x[t * HOP + k] * w[f * TAPS + k];
                }
                // the float64 sums differ from this one by far less than a float32 ulp, except at a rounding tie
                inexact += Float.compare(y[f * frames + t], (float) exact) == 0 ? 0 : 1;
            }
        }
        assertThat(inexact).as("outputs not the exact sum rounded once, of " + FILTERS * frames).isZero();
    }

    /** Fine-tuning through it: the filters' gradient of the outputs' sum is each filter's windows summed. */
    @Test
    void itsFiltersGetTheirGradientInFloat32() {
        float[] x = new float[SIGNAL];
        for (int i = 0; i < x.length; i++) {
            x[i] = (i % 7) - 3;
        }
        ModelProto model = filterbank(new float[FILTERS * TAPS]);
        try (InterpretedModel m = OnnxInterpreter.load(model, Device.cpu());
             NDManager nd = m.manager().newSubManager()) {
            m.block().weightParameters().values().forEach(p -> p.getArray().setRequiresGradient(true));
            try (GradientCollector gc = Engine.getEngine(OnnxInterpreter.ENGINE).newGradientCollector()) {
                NDArray y = m.block().forward(new ParameterStore(m.manager(), false),
                        new NDList(nd.create(x, new Shape(1, 1, SIGNAL))), true).head();
                assertThat(y.getDataType()).isEqualTo(DataType.FLOAT32);
                gc.backward(y.sum());
            }
            NDArray grad = m.block().weightParameters().get("w").getArray().getGradient();
            assertThat(grad.getDataType()).isEqualTo(DataType.FLOAT32);
            float[] g = grad.toFloatArray();
            int frames = (SIGNAL - TAPS) / HOP + 1;
            for (int k = 0; k < TAPS; k++) {
                double windows = 0;
                for (int t = 0; t < frames; t++) {
                    windows += x[t * HOP + k];
                }
                for (int f = 0; f < FILTERS; f++) {
                    assertThat(g[f * TAPS + k]).as("tap %d of filter %d", k, f).isEqualTo((float) windows);
                }
            }
        }
    }
}
