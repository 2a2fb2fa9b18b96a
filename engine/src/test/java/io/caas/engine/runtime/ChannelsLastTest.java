package io.caas.engine.runtime;

import static io.caas.engine.testing.OnnxModelBuilder.ints;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.testing.OnnxModelBuilder;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Batched convolutions run on channels-last tensors (ChannelsLast): a batch computes what its images do one by one in
 * NCHW order (batch 1 keeps it), forward and backward, and what ONNX Runtime computes.
 */
class ChannelsLastTest {

    private static final long[] BATCH = {6, 1, 28, 28};

    @Test
    void aBatchTrainsAsItsImagesDoOneByOne() {
        assertThat(channelsLastInThisProcess()).as("oneDNN's channels-last convolution passed the check").isTrue();
        SplittableRandom r = new SplittableRandom(7);
        float[] x = uniform(r, (int) (BATCH[0] * BATCH[2] * BATCH[3]));
        float[] g = uniform(r, (int) BATCH[0] * 10);
        int image = (int) (BATCH[2] * BATCH[3]);
        try (InterpretedModel m = OnnxInterpreter.load(cnn(), Device.cpu());
             NDManager nd = NDManager.newBaseManager(Device.cpu())) {
            Pass batch = pass(m, nd, x, g, BATCH);
            float[] outputs = new float[g.length];
            Map<String, float[]> gradients = new LinkedHashMap<>();
            float[] inputGradient = new float[x.length];
            for (int i = 0; i < BATCH[0]; i++) {
                float[] xi = java.util.Arrays.copyOfRange(x, i * image, (i + 1) * image);
                float[] gi = java.util.Arrays.copyOfRange(g, i * 10, (i + 1) * 10);
                Pass one = pass(m, nd, xi, gi, new long[] {1, 1, BATCH[2], BATCH[3]});
                System.arraycopy(one.output(), 0, outputs, i * 10, 10);
                System.arraycopy(one.inputGradient(), 0, inputGradient, i * image, image);
                one.gradients().forEach((name, v) -> gradients.merge(name, v, ChannelsLastTest::plus));
            }
            assertClose("output", batch.output(), outputs);
            assertClose("gradient to the input", batch.inputGradient(), inputGradient);
            assertThat(batch.gradients().keySet()).containsExactlyInAnyOrderElementsOf(gradients.keySet())
                    .contains("w0", "w1", "fc");
            batch.gradients().forEach((name, v) -> assertClose("gradient to " + name, v, gradients.get(name)));
        }
    }

    @Test
    void aBatchComputesWhatOnnxRuntimeDoes() throws Exception {
        float[] x = uniform(new SplittableRandom(11), (int) (BATCH[0] * BATCH[2] * BATCH[3]));
        float[] expected;
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(cnn().toByteArray(), new OrtSession.SessionOptions());
             OnnxTensor feed = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), BATCH);
             OrtSession.Result result = session.run(Map.of("x", feed))) {
            FloatBuffer out = ((OnnxTensor) result.get(0)).getFloatBuffer();
            expected = new float[out.remaining()];
            out.get(expected);
        }
        try (InterpretedModel m = OnnxInterpreter.load(cnn(), Device.cpu());
             NDManager nd = NDManager.newBaseManager(Device.cpu())) {
            float[] y = m.forward(new NDList(nd.create(x, new Shape(BATCH)))).head().toFloatArray();
            assertClose("interpreter against ONNX Runtime", y, expected);
        }
    }

    @Test
    void theLayoutIsChannelsLastForBatchesFromTheFirstConvolutionOn() throws Exception {
        try (NDManager nd = NDManager.newBaseManager(Device.cpu())) {
            NDArray gray = nd.randomUniform(-1, 1, new Shape(4, 1, 12, 12));
            NDArray kernel = nd.randomUniform(-1, 1, new Shape(8, 1, 3, 3));
            assertThat(ChannelsLast.appliesTo(gray)).isTrue();
            assertThat(ChannelsLast.appliesTo(nd.randomUniform(-1, 1, new Shape(1, 8, 12, 12)))).as("batch 1")
                    .isFalse();
            NDArray laidOut = ChannelsLast.of(gray);
            assertThat(laidOut.toFloatArray()).containsExactly(gray.toFloatArray());
            // one channel is both orders at once; libtorch reads the order from the strides, so those must say NHWC
            NDArray y = laidOut.getNDArrayInternal().convolution(laidOut, kernel, null, new Shape(1, 1),
                    new Shape(1, 1), new Shape(1, 1), 1).head();
            NDArray reference = gray.getNDArrayInternal().convolution(gray, kernel, null, new Shape(1, 1),
                    new Shape(1, 1), new Shape(1, 1), 1).head();
            assertThat(Libtorch.isContiguous(reference)).isTrue();
            assertThat(Libtorch.isContiguous(y)).as("the first convolution's output is channels-last").isFalse();
            assertClose("the first convolution", y.toFloatArray(), reference.toFloatArray());
            NDArray channels = ChannelsLast.of(y);
            assertThat(ChannelsLast.of(reference).toFloatArray()).containsExactly(reference.toFloatArray());
            assertThat(Libtorch.isContiguous(ChannelsLast.of(reference))).isFalse();
            assertThat(channels.toFloatArray()).containsExactly(y.toFloatArray());
        }
    }

    private record Pass(float[] output, float[] inputGradient, Map<String, float[]> gradients) {
    }

    private static Pass pass(InterpretedModel m, NDManager nd, float[] x, float[] g, long[] shape) {
        NDArray input = nd.create(x, new Shape(shape));
        input.setRequiresGradient(true);
        try (GradientCollector tape = TorchRuntime.engine().newGradientCollector()) {
            tape.zeroGradients();
            NDArray y = m.block().forward(new ParameterStore(nd, false), new NDList(input), true).head();
            tape.backward(y.mul(nd.create(g, y.getShape())).sum());
            Map<String, float[]> gradients = new LinkedHashMap<>();
            for (Map.Entry<String, Parameter> p : m.block().weightParameters().entrySet()) {
                gradients.put(p.getKey(), p.getValue().getArray().getGradient().toFloatArray());
            }
            return new Pass(y.toFloatArray(), input.getGradient().toFloatArray(), gradients);
        }
    }

    /** Conv(1->8)-Relu-MaxPool(2)-Conv(8->12)-Relu-MaxPool(2)-Flatten-MatMul(588->10), the benchmark CNN's layout. */
    private static ModelProto cnn() {
        SplittableRandom r = new SplittableRandom(3);
        OnnxModelBuilder b = new OnnxModelBuilder("cnn", 13).input("x", -1, 1, 28, 28);
        b.initializer("w0", OnnxModelBuilder.randomWeights(r, 8 * 9, 9), 8, 1, 3, 3);
        b.initializer("b0", OnnxModelBuilder.randomWeights(r, 8, 9), 8);
        b.initializer("w1", OnnxModelBuilder.randomWeights(r, 12 * 8 * 9, 72), 12, 8, 3, 3);
        b.initializer("b1", OnnxModelBuilder.randomWeights(r, 12, 72), 12);
        b.initializer("fc", OnnxModelBuilder.randomWeights(r, 588 * 10, 588), 588, 10);
        b.node("Conv", List.of("x", "w0", "b0"), List.of("c0"), ints("kernel_shape", 3, 3), ints("pads", 1, 1, 1, 1));
        b.node("Relu", List.of("c0"), List.of("a0"));
        b.node("MaxPool", List.of("a0"), List.of("p0"), ints("kernel_shape", 2, 2), ints("strides", 2, 2));
        b.node("Conv", List.of("p0", "w1", "b1"), List.of("c1"), ints("kernel_shape", 3, 3), ints("pads", 1, 1, 1, 1));
        b.node("Relu", List.of("c1"), List.of("a1"));
        b.node("MaxPool", List.of("a1"), List.of("p1"), ints("kernel_shape", 2, 2), ints("strides", 2, 2));
        b.node("Flatten", List.of("p1"), List.of("flat"));
        b.node("MatMul", List.of("flat", "fc"), List.of("y"));
        return b.output("y", -1, 10).build();
    }

    private static boolean channelsLastInThisProcess() {
        try (InterpretedModel m = OnnxInterpreter.load(cnn(), Device.cpu())) {
            return ChannelsLast.on();
        }
    }

    private static void assertClose(String what, float[] actual, float[] expected) {
        assertThat(actual).as(what).hasSameSizeAs(expected);
        double scale = 0;
        for (float v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        assertThat(scale).as(what + " is not all zero").isPositive();
        for (int i = 0; i < actual.length; i++) {
            assertThat((double) actual[i]).as(what + " [" + i + "]").isCloseTo(expected[i], within(1e-5 * scale + 1e-6));
        }
    }

    private static float[] plus(float[] a, float[] b) {
        float[] sum = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            sum[i] = a[i] + b[i];
        }
        return sum;
    }

    private static float[] uniform(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return v;
    }
}
