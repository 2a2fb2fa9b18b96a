package io.caas.engine.runtime;

import static io.caas.engine.runtime.TinyModels.intAttr;
import static io.caas.engine.runtime.TinyModels.intsAttr;
import static io.caas.engine.runtime.TinyModels.node;
import static io.caas.engine.testing.OnnxModelBuilder.text;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.caas.engine.onnx.proto.Onnx.AttributeProto;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import io.caas.engine.onnx.proto.Onnx.TypeProto;
import io.caas.engine.onnx.proto.Onnx.ValueInfoProto;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A max pool run without autograd runs as elementwise maxima over strided slices once its input is large
 * (NeuralOps.slicedMaxPool); one that autograd records runs libtorch's kernel, whose gradient goes to one element
 * per window. Both give ONNX Runtime's values exactly, for every geometry the operator takes.
 */
class SlicedMaxPoolTest {

    record Geometry(String name, long[] input, AttributeProto... attributes) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Geometry> geometries() {
        return Stream.of(
                new Geometry("2x2 stride 2", new long[] {4, 8, 32, 32}, intsAttr("kernel_shape", 2, 2),
                        intsAttr("strides", 2, 2)),
                new Geometry("3x3 stride 2 pad 1 (ResNet stem)", new long[] {2, 16, 33, 33},
                        intsAttr("kernel_shape", 3, 3), intsAttr("strides", 2, 2), intsAttr("pads", 1, 1, 1, 1)),
                new Geometry("3x3 stride 1 pad 1", new long[] {2, 16, 32, 32}, intsAttr("kernel_shape", 3, 3),
                        intsAttr("pads", 1, 1, 1, 1)),
                new Geometry("2x2 stride 2 ceil, odd size", new long[] {2, 16, 33, 33}, intsAttr("kernel_shape", 2, 2),
                        intsAttr("strides", 2, 2), intAttr("ceil_mode", 1)),
                new Geometry("3x3 stride 2 uneven pads", new long[] {2, 16, 32, 32}, intsAttr("kernel_shape", 3, 3),
                        intsAttr("strides", 2, 2), intsAttr("pads", 0, 1, 1, 0)),
                new Geometry("3x3 stride 2 SAME_UPPER", new long[] {2, 16, 32, 32}, intsAttr("kernel_shape", 3, 3),
                        intsAttr("strides", 2, 2), text("auto_pad", "SAME_UPPER")),
                new Geometry("1-d 3 stride 2", new long[] {4, 64, 200}, intsAttr("kernel_shape", 3),
                        intsAttr("strides", 2)),
                new Geometry("3-d 2x2x2 stride 2", new long[] {2, 4, 16, 16, 16}, intsAttr("kernel_shape", 2, 2, 2),
                        intsAttr("strides", 2, 2, 2)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("geometries")
    void withAndWithoutAGradientTheValuesAreOnnxRuntimes(Geometry g) throws Exception {
        ModelProto model = model(g);
        float[] input = ties(g.input());
        assertThat((long) input.length).as("large enough for the sliced form")
                .isGreaterThanOrEqualTo(NeuralOps.SLICED_MAX_POOL_MIN_INPUT);
        float[] expected = onnxRuntime(model, input, g.input());
        try (InterpretedModel m = OnnxInterpreter.load(model, Device.cpu());
             NDManager nd = NDManager.newBaseManager(Device.cpu())) {
            // InterpretedModel.forward runs without autograd, whatever the thread's mode
            float[] sliced = m.forward(new NDList(nd.create(input, new Shape(g.input())))).head().toFloatArray();
            assertThat(sliced).as("without autograd: strided slices").containsExactly(expected);

            NDArray x = nd.create(input, new Shape(g.input()));
            x.setRequiresGradient(true);
            try (GradientCollector tape = TorchRuntime.engine().newGradientCollector()) {
                NDArray y = m.block().forward(new ParameterStore(nd, false), new NDList(x), true).head();
                assertThat(y.toFloatArray()).as("recorded: libtorch's kernel").containsExactly(expected);
                tape.backward(y.sum());
            }
            // the kernel sends each window's gradient to one element; maxima would share it among the ties
            float[] gradient = x.getGradient().toFloatArray();
            assertThat(IntStream.range(0, gradient.length).allMatch(i -> gradient[i] == Math.rint(gradient[i])))
                    .as("whole gradients").isTrue();
            assertThat((double) x.getGradient().sum().getFloat()).isEqualTo((double) expected.length);
        }
    }

    @Test
    void aNanInAWindowIsThatWindowsMaximumAsInLibtorchsKernel() {
        long[] shape = {4, 8, 32, 32};
        float[] input = ties(shape);
        for (int i = 0; i < input.length; i += 97) {
            input[i] = Float.NaN;
        }
        Windows win = new Windows(new long[] {2, 2}, new long[] {2, 2}, new long[] {1, 1}, new long[4]);
        try (NDManager nd = NDManager.newBaseManager(Device.cpu())) {
            NDArray x = nd.create(input, new Shape(shape));
            float[] kernel = x.getNDArrayInternal().maxPool(new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false)
                    .toFloatArray();
            float[] sliced = NeuralOps.slicedMaxPool(x, win, false).toFloatArray();
            assertThat(Arrays.stream(box(kernel)).filter(v -> v.isNaN()).count()).isPositive();
            assertThat(sliced).containsExactly(kernel);
        }
    }

    /** Values from a few levels, so that windows hold ties, with negative ones so that -inf padding matters. */
    private static float[] ties(long[] shape) {
        int n = (int) Arrays.stream(shape).reduce(1, Math::multiplyExact);
        SplittableRandom r = new SplittableRandom(n);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextInt(9) - 6.5f;
        }
        return v;
    }

    private static Float[] box(float[] v) {
        Float[] b = new Float[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = v[i];
        }
        return b;
    }

    private static ModelProto model(Geometry g) {
        GraphProto graph = GraphProto.newBuilder().setName("maxpool")
                .addNode(node("MaxPool", new String[] {"x"}, new String[] {"y"}, g.attributes()))
                .addInput(TinyModels.floatTensor("x", g.input()))
                .addOutput(ValueInfoProto.newBuilder().setName("y").setType(TypeProto.newBuilder()
                        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE))))
                .build();
        return TinyModels.model(graph, 13);
    }

    private static float[] onnxRuntime(ModelProto model, float[] input, long[] shape) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(model.toByteArray(), new OrtSession.SessionOptions());
             OnnxTensor feed = OnnxTensor.createTensor(env, FloatBuffer.wrap(input), shape);
             OrtSession.Result result = session.run(Map.of("x", feed))) {
            FloatBuffer out = ((OnnxTensor) result.get(0)).getFloatBuffer();
            float[] values = new float[out.remaining()];
            out.get(values);
            return values;
        }
    }
}
