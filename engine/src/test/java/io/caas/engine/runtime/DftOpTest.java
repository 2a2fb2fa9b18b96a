package io.caas.engine.runtime;

import static io.caas.engine.runtime.TinyModels.intAttr;
import static io.caas.engine.runtime.TinyModels.intsAttr;
import static io.caas.engine.runtime.TinyModels.node;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.proto.Onnx.AttributeProto;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import io.caas.engine.onnx.proto.Onnx.TypeProto;
import io.caas.engine.onnx.proto.Onnx.ValueInfoProto;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * DFT against ONNX Runtime in each of its forms, as a round trip, and under autograd: the structured layers of
 * {@code ldr} train generators that sit upstream of DFT nodes, so the gradient through it must be the true one.
 */
class DftOpTest {

    record Case(String name, long opset, List<NodeProto> nodes, long[] inputShape, List<TensorProto> constants) {
        @Override
        public String toString() {
            return name + " (opset " + opset + ")";
        }
    }

    private static Case c(String name, long opset, NodeProto node, long[] shape, TensorProto... constants) {
        return new Case(name, opset, List.of(node), shape, List.of(constants));
    }

    private static NodeProto dft(String[] inputs, AttributeProto... attrs) {
        return node("DFT", inputs, new String[] {"y"}, attrs);
    }

    private static TensorProto scalar(String name, long value) {
        return Tensors.int64Tensor(name, new long[] {value});
    }

    static Stream<Case> cases() {
        String[] x = {"x"};
        long[] real = {2, 6, 3, 1};
        long[] complex = {2, 6, 3, 2};
        return Stream.of(
                c("real, default axis", 17, dft(x), real),
                c("complex, default axis", 17, dft(x), complex),
                c("real onesided", 17, dft(x, intAttr("onesided", 1)), real),
                c("complex onesided", 17, dft(x, intAttr("onesided", 1)), complex),
                c("real onesided, odd length", 17, dft(x, intAttr("onesided", 1), intAttr("axis", 2)), real),
                c("complex inverse", 17, dft(x, intAttr("inverse", 1)), complex),
                c("real inverse", 17, dft(x, intAttr("inverse", 1), intAttr("axis", 2)), real),
                c("dft_length pads", 17, dft(new String[] {"x", "n"}), complex, scalar("n", 9)),
                c("dft_length truncates", 17, dft(new String[] {"x", "n"}, intAttr("axis", 2)), real, scalar("n", 2)),
                c("axis 0", 17, dft(x, intAttr("axis", 0)), complex),
                c("axis 2 onesided padded", 17,
                        dft(new String[] {"x", "n"}, intAttr("axis", 2), intAttr("onesided", 1)), real, scalar("n", 7)),
                c("default axis -2", 20, dft(x), complex),
                c("axis input", 20, dft(new String[] {"x", "", "a"}), complex, scalar("a", 1)),
                c("negative axis input", 20, dft(new String[] {"x", "", "a"}, intAttr("onesided", 1)), real,
                        scalar("a", -3)),
                c("inverse, length and axis inputs", 20, dft(new String[] {"x", "n", "a"}, intAttr("inverse", 1)),
                        complex, scalar("n", 4), scalar("a", 1)),
                // The (real, imaginary) pairs of a transposed input are not adjacent in memory.
                new Case("transposed complex input", 17, List.of(
                        node("Transpose", x, new String[] {"t"}, intsAttr("perm", 0, 2, 1)),
                        dft(new String[] {"t"})), new long[] {3, 2, 5}, List.of()));
    }

    private static float[] randoms(int n, long seed) {
        Random rnd = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        return v;
    }

    private static ModelProto model(String name, long opset, List<NodeProto> nodes, long[] inputShape,
                                    List<TensorProto> constants) {
        GraphProto.Builder g = GraphProto.newBuilder().setName(name).addAllNode(nodes)
                .addInput(TinyModels.floatTensor("x", inputShape)).addAllInitializer(constants)
                .addOutput(ValueInfoProto.newBuilder().setName("y").setType(TypeProto.newBuilder()
                        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE))));
        return TinyModels.model(g.build(), opset);
    }

    private static int size(long[] shape) {
        return (int) Arrays.stream(shape).reduce(1, Math::multiplyExact);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesOnnxRuntime(Case c) throws Exception {
        ModelProto model = model(c.name(), c.opset(), c.nodes(), c.inputShape(), c.constants());
        float[] input = randoms(size(c.inputShape()), 17);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(model.toByteArray(), new OrtSession.SessionOptions());
             OnnxTensor feed = OnnxTensor.createTensor(env, FloatBuffer.wrap(input), c.inputShape());
             OrtSession.Result expected = session.run(Map.of("x", feed));
             InterpretedModel m = OnnxInterpreter.load(model, Device.cpu());
             NDManager nd = NDManager.newBaseManager(Device.cpu())) {
            NDArray actual = m.forward(new NDList(nd.create(input, new Shape(c.inputShape())))).singletonOrThrow();
            OnnxTensor e = (OnnxTensor) expected.get(0);
            assertThat(actual.getShape().getShape()).as("shape").containsExactly(e.getInfo().getShape());
            assertThat(actual.getDataType()).isEqualTo(DataType.FLOAT32);
            FloatBuffer fb = e.getFloatBuffer();
            float[] ev = new float[fb.remaining()];
            fb.get(ev);
            assertThat(Comparison.maxAbsDiff(actual.toFloatArray(), ev)).as("max abs diff").isLessThanOrEqualTo(1e-5);
        }
    }

    @Test
    void inverseOfForwardReturnsTheSignal() {
        long[] shape = {3, 8, 2};
        List<NodeProto> nodes = List.of(
                node("DFT", new String[] {"x"}, new String[] {"f"}),
                node("DFT", new String[] {"f"}, new String[] {"y"}, intAttr("inverse", 1)));
        float[] input = randoms(size(shape), 5);
        try (InterpretedModel m = OnnxInterpreter.load(model("round trip", 17, nodes, shape, List.of()), Device.cpu());
             NDManager nd = NDManager.newBaseManager(Device.cpu())) {
            float[] back = m.forward(new NDList(nd.create(input, new Shape(shape)))).singletonOrThrow().toFloatArray();
            assertThat(Comparison.maxAbsDiff(back, input)).isLessThan(1e-5);
        }
    }

    @Test
    void doubleAndHalfInputsKeepTheirType() {
        try (NDManager nd = NDManager.newBaseManager(Device.cpu(), OnnxInterpreter.ENGINE)) {
            double[] signal = {1, 2, 3, 4};
            NDArray x = nd.create(signal, new Shape(1, 4, 1));
            NDArray y = OperatorRegistry.all().get("DFT").apply(call(dft(new String[] {"x"}), 17, List.of(x), nd))
                    .singletonOrThrow();
            assertThat(y.getDataType()).isEqualTo(DataType.FLOAT64);
            // X_k = sum_n x_n e^{-2 pi i k n / 4}: 10, -2+2i, -2, -2-2i.
            assertThat(y.toDoubleArray()).containsExactly(new double[] {10, 0, -2, 2, -2, 0, -2, -2},
                    Offset.offset(1e-12));
            NDArray half = OperatorRegistry.all().get("DFT").apply(call(dft(new String[] {"x"}), 17,
                    List.of(x.toType(DataType.FLOAT16, false)), nd)).singletonOrThrow();
            assertThat(half.getDataType()).isEqualTo(DataType.FLOAT16);
            assertThat(half.toType(DataType.FLOAT64, false).toDoubleArray())
                    .containsExactly(new double[] {10, 0, -2, 2, -2, 0, -2, -2}, Offset.offset(1e-12));
        }
    }

    @Test
    void refusesInverseOnesidedAndAnAxisOnTheComplexParts() {
        try (NDManager nd = NDManager.newBaseManager(Device.cpu(), OnnxInterpreter.ENGINE)) {
            NDArray x = nd.zeros(new Shape(2, 4, 1));
            Operator op = OperatorRegistry.all().get("DFT");
            assertThatThrownBy(() -> op.apply(call(dft(new String[] {"x"}, intAttr("inverse", 1),
                    intAttr("onesided", 1)), 17, List.of(x), nd))).isInstanceOf(UnsupportedOperatorException.class);
            assertThatThrownBy(() -> op.apply(call(dft(new String[] {"x"}, intAttr("axis", 2)), 17, List.of(x), nd)))
                    .hasMessageContaining("axis 2 is out of range");
            NDArray triple = nd.zeros(new Shape(2, 4, 3));
            assertThatThrownBy(() -> op.apply(call(dft(new String[] {"x"}), 17, List.of(triple), nd)))
                    .hasMessageContaining("size 1 (real) or 2");
        }
    }

    private static OpCall call(NodeProto node, long opset, List<NDArray> inputs, NDManager nd) {
        return new OpCall(OnnxNode.of(node, 0), opset, inputs, nd);
    }

    /**
     * A generator g (an initializer, so a trained weight) and the layer input x both upstream of DFT; the loss is
     * sum(y * w) for fixed weights w. y is linear in g and x, so the exact gradient is what one unit step in each
     * coordinate changes the loss by, which the test measures with the forward pass alone.
     */
    @ParameterizedTest(name = "last axis {0}, onesided {1}, inverse {2}")
    @CsvSource({"1, 0, 0", "1, 1, 0", "2, 0, 0", "2, 0, 1", "2, 1, 0"})
    void gradientFlowsToTheGeneratorAndTheInput(int parts, int onesided, int inverse) {
        long[] shape = {2, 6, parts};
        int n = size(shape);
        float[] generator = randoms(n, 3);
        long outLength = onesided == 1 ? 4 : 6;
        float[] weights = randoms((int) (2 * outLength * 2), 4);
        GraphProto graph = GraphProto.newBuilder().setName("dft-grad")
                .addInput(TinyModels.floatTensor("x", shape))
                .addInitializer(Tensors.floatTensor("g", generator, shape))
                .addInitializer(Tensors.floatTensor("w", weights, 2, outLength, 2))
                .addNode(node("Mul", new String[] {"x", "g"}, new String[] {"h"}))
                .addNode(node("DFT", new String[] {"h"}, new String[] {"f"}, intAttr("onesided", onesided),
                        intAttr("inverse", inverse)))
                .addNode(node("Mul", new String[] {"f", "w"}, new String[] {"fw"}))
                .addNode(node("ReduceSum", new String[] {"fw"}, new String[] {"y"}, intAttr("keepdims", 0)))
                .addOutput(TinyModels.floatTensor("y")).build();
        float[] input = randoms(n, 6);
        try (InterpretedModel m = OnnxInterpreter.load(TinyModels.model(graph, 17), Device.cpu());
             NDManager nd = m.manager().newSubManager()) {
            assertThat(m.block().weightParameters()).containsKey("g");
            NDArray g = m.block().weightParameters().get("g").getArray();
            g.setRequiresGradient(true);
            NDArray x = nd.create(input, new Shape(shape));
            x.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getEngine(OnnxInterpreter.ENGINE).newGradientCollector()) {
                NDArray loss = m.block().forward(new ParameterStore(m.manager(), false), new NDList(x), true).head();
                gc.backward(loss);
            }
            float[] gGrad = g.getGradient().toFloatArray();
            float[] xGrad = x.getGradient().toFloatArray();
            // loss = sum_i a_i x_i g_i, so a unit step in x_i changes it by d loss / d x_i = a_i g_i, and
            // d loss / d g_i = a_i x_i, i.e. g_i times that equals x_i times the step.
            double base = loss(m, nd, input, shape);
            for (int i = 0; i < n; i++) {
                float[] shifted = input.clone();
                shifted[i] += 1;
                double step = loss(m, nd, shifted, shape) - base;
                assertThat((double) xGrad[i]).as("d loss / d x[%d]", i).isCloseTo(step, Offset.offset(1e-4));
                assertThat((double) gGrad[i] * generator[i]).as("g[%d] d loss / d g[%d]", i, i)
                        .isCloseTo(input[i] * step, Offset.offset(1e-4));
            }
            assertThat(Arrays.stream(toDoubles(gGrad)).map(Math::abs).max().orElseThrow()).isGreaterThan(0.1);
        }
    }

    private static double loss(InterpretedModel m, NDManager nd, float[] input, long[] shape) {
        return m.forward(new NDList(nd.create(input, new Shape(shape)))).singletonOrThrow().getFloat();
    }

    private static double[] toDoubles(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }
}
