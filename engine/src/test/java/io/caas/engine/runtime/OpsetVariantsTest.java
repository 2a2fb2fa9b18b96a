package io.caas.engine.runtime;

import static io.caas.engine.runtime.TinyModels.intAttr;
import static io.caas.engine.runtime.TinyModels.intsAttr;
import static io.caas.engine.runtime.TinyModels.node;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.ByteString;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Operators whose attributes moved to inputs (or changed meaning) across opsets, each checked against ONNX Runtime
 * on a one-node graph at the old and the new opset. The conformance data holds mostly the newest forms.
 */
class OpsetVariantsTest {

    record Case(String name, long opset, NodeProto node, long[] inputShape, List<TensorProto> constants) {
        @Override
        public String toString() {
            return name + " (opset " + opset + ")";
        }
    }

    private static TensorProto ints(String name, long... v) {
        return Tensors.int64Tensor(name, v, v.length);
    }

    private static TensorProto scalar(String name, float v) {
        return TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE).addFloatData(v).build();
    }

    private static AttributeProto floatAttr(String name, float v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(v).build();
    }

    private static AttributeProto stringAttr(String name, String v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                .setS(ByteString.copyFromUtf8(v)).build();
    }

    private static Case c(String name, long opset, NodeProto node, long[] shape, TensorProto... constants) {
        return new Case(name, opset, node, shape, List.of(constants));
    }

    private static NodeProto n(String op, String[] in, AttributeProto... attrs) {
        return node(op, in, new String[] {"y"}, attrs);
    }

    static Stream<Case> cases() {
        String[] x = {"x"};
        return Stream.of(
                c("Squeeze attr", 11, n("Squeeze", x, intsAttr("axes", 1, -1)), new long[] {3, 1, 4, 1}),
                c("Squeeze input", 13, n("Squeeze", new String[] {"x", "a"}), new long[] {3, 1, 4, 1}, ints("a", 1, -1)),
                c("Unsqueeze attr", 11, n("Unsqueeze", x, intsAttr("axes", 0, -1)), new long[] {3, 4}),
                c("Unsqueeze input", 13, n("Unsqueeze", new String[] {"x", "a"}), new long[] {3, 4}, ints("a", 0, 3)),
                c("ReduceSum attr", 11, n("ReduceSum", x, intsAttr("axes", 1), intAttr("keepdims", 0)), new long[] {2, 3, 4}),
                c("ReduceSum input", 13, n("ReduceSum", new String[] {"x", "a"}, intAttr("keepdims", 1)), new long[] {2, 3, 4},
                        ints("a", -1, 0)),
                c("ReduceMean attr", 13, n("ReduceMean", x, intsAttr("axes", 0, 2)), new long[] {2, 3, 4}),
                c("Split attr", 11, node("Split", x, new String[] {"y", "z"}, intAttr("axis", 1), intsAttr("split", 1, 3)),
                        new long[] {2, 4}),
                c("Split input", 13, node("Split", new String[] {"x", "s"}, new String[] {"y", "z"}, intAttr("axis", 1)),
                        new long[] {2, 4}, ints("s", 3, 1)),
                c("Split even", 13, node("Split", x, new String[] {"y", "z", "w"}, intAttr("axis", 0)), new long[] {6, 2}),
                c("Slice attrs", 9, n("Slice", x, intsAttr("starts", 1, -3), intsAttr("ends", 100, -1), intsAttr("axes", 0, 1)),
                        new long[] {4, 5}),
                c("Slice negative step", 13, n("Slice", new String[] {"x", "s", "e", "a", "p"}), new long[] {4, 5},
                        ints("s", -1, 0), ints("e", -100, 5), ints("a", 1, 0), ints("p", -2, 2)),
                c("Clip attrs", 6, n("Clip", x, floatAttr("min", -0.5f), floatAttr("max", 0.3f)), new long[] {3, 4}),
                c("Clip inputs", 12, n("Clip", new String[] {"x", "", "hi"}), new long[] {3, 4}, scalar("hi", 0.2f)),
                c("Pad attrs reflect", 2, n("Pad", x, intsAttr("pads", 0, 2, 0, 1), stringAttr("mode", "reflect")),
                        new long[] {2, 4}),
                c("Pad input edge", 13, n("Pad", new String[] {"x", "p"}, stringAttr("mode", "edge")), new long[] {2, 3},
                        ints("p", 1, 2, 2, 0)),
                c("Pad constant crop", 13, n("Pad", new String[] {"x", "p", "v"}), new long[] {3, 4},
                        ints("p", 1, -1, -1, 2), scalar("v", 1.5f)),
                c("Softmax 2-D coercion", 11, n("Softmax", x, intAttr("axis", 1)), new long[] {2, 3, 4}),
                c("Softmax axis", 13, n("Softmax", x, intAttr("axis", 1)), new long[] {2, 3, 4}),
                c("LogSoftmax 2-D coercion", 11, n("LogSoftmax", x), new long[] {2, 3, 4}),
                c("Resize opset 10 nearest", 10, n("Resize", new String[] {"x", "s"}), new long[] {1, 1, 3, 4},
                        Tensors.floatTensor("s", new float[] {1, 1, 2.5f, 1.5f}, 4)),
                c("Resize sizes asymmetric floor", 13, n("Resize", new String[] {"x", "", "", "z"},
                        stringAttr("coordinate_transformation_mode", "asymmetric"), stringAttr("nearest_mode", "floor")),
                        new long[] {1, 2, 3, 4}, ints("z", 1, 2, 7, 3)),
                c("Resize scales half_pixel", 13, n("Resize", new String[] {"x", "", "s"}), new long[] {1, 1, 4, 4},
                        Tensors.floatTensor("s", new float[] {1, 1, 0.6f, 1.75f}, 4)),
                c("Resize linear half_pixel", 13, n("Resize", new String[] {"x", "", "s"}, stringAttr("mode", "linear")),
                        new long[] {1, 2, 3, 5}, Tensors.floatTensor("s", new float[] {1, 1, 2.5f, 0.6f}, 4)),
                c("Resize linear align_corners sizes", 13, n("Resize", new String[] {"x", "", "", "z"},
                        stringAttr("mode", "linear"), stringAttr("coordinate_transformation_mode", "align_corners")),
                        new long[] {1, 1, 4, 3}, ints("z", 1, 1, 7, 5)),
                c("Reshape 0 and -1", 13, n("Reshape", new String[] {"x", "s"}), new long[] {2, 3, 4}, ints("s", 0, -1)),
                c("Gather negative", 13, n("Gather", new String[] {"x", "i"}, intAttr("axis", 1)), new long[] {2, 5},
                        Tensors.int64Tensor("i", new long[] {-1, 0, 2, -2}, 2, 2)),
                c("Expand bidirectional", 13, n("Expand", new String[] {"x", "s"}), new long[] {3, 1}, ints("s", 2, 1, 4)),
                c("Flatten axis", 13, n("Flatten", x, intAttr("axis", -1)), new long[] {2, 3, 4}),
                c("ConvTranspose output_shape", 13, n("ConvTranspose", new String[] {"x", "w"},
                        intsAttr("strides", 2, 3), intsAttr("output_shape", 8, 10), intAttr("group", 2)), new long[] {1, 4, 3, 3},
                        Tensors.floatTensor("w", randoms(4 * 3 * 3 * 2), 4, 3, 3, 2)),
                c("ConvTranspose pads", 13, n("ConvTranspose", new String[] {"x", "w"},
                        intsAttr("strides", 2, 2), intsAttr("pads", 1, 0, 0, 1), intsAttr("output_padding", 1, 1),
                        intsAttr("dilations", 1, 2)), new long[] {1, 2, 4, 4},
                        Tensors.floatTensor("w", randoms(2 * 3 * 3 * 3), 2, 3, 3, 3)),
                c("Conv SAME_LOWER", 13, n("Conv", new String[] {"x", "w"}, stringAttr("auto_pad", "SAME_LOWER"),
                        intsAttr("strides", 2, 2)), new long[] {1, 2, 6, 7},
                        Tensors.floatTensor("w", randoms(3 * 2 * 4 * 4), 3, 2, 4, 4)),
                c("AveragePool uneven exclude pad", 13, n("AveragePool", x, intsAttr("kernel_shape", 3, 3),
                        intsAttr("pads", 0, 1, 2, 0), intsAttr("strides", 2, 2), intAttr("ceil_mode", 1)), new long[] {1, 1, 6, 7}),
                c("MaxPool dilated ceil", 13, n("MaxPool", x, intsAttr("kernel_shape", 2, 2), intsAttr("dilations", 2, 1),
                        intsAttr("strides", 2, 2), intAttr("ceil_mode", 1)), new long[] {1, 2, 7, 6}),
                c("Gemm transA alpha beta", 13, n("Gemm", new String[] {"x", "b", "c"}, intAttr("transA", 1),
                        floatAttr("alpha", 0.5f), floatAttr("beta", 2f)), new long[] {3, 2},
                        Tensors.floatTensor("b", randoms(3 * 4), 3, 4), Tensors.floatTensor("c", randoms(4), 4)),
                c("LayerNormalization axis", 17, n("LayerNormalization", new String[] {"x", "g", "b"}, intAttr("axis", -2)),
                        new long[] {2, 3, 4}, Tensors.floatTensor("g", randoms(12), 3, 4), Tensors.floatTensor("b", randoms(12), 3, 4)));
    }

    private static float[] randoms(int n) {
        Random rnd = new Random(n);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        return v;
    }

    private static ModelProto model(Case c) {
        GraphProto.Builder g = GraphProto.newBuilder().setName(c.name()).addNode(c.node())
                .addInput(TinyModels.floatTensor("x", c.inputShape()));
        for (TensorProto t : c.constants()) {
            g.addInitializer(t);
        }
        for (String out : c.node().getOutputList()) {
            g.addOutput(ValueInfoProto.newBuilder().setName(out).setType(TypeProto.newBuilder()
                    .setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE))));
        }
        return TinyModels.model(g.build(), c.opset());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesOnnxRuntime(Case c) throws Exception {
        ModelProto model = model(c);
        int n = (int) Arrays.stream(c.inputShape()).reduce(1, Math::multiplyExact);
        float[] input = randoms(n + 1);
        input = Arrays.copyOf(input, n);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(model.toByteArray(), new OrtSession.SessionOptions());
             OnnxTensor feed = OnnxTensor.createTensor(env, FloatBuffer.wrap(input), c.inputShape());
             OrtSession.Result expected = session.run(Map.of("x", feed));
             InterpretedModel m = OnnxInterpreter.load(model, Device.cpu());
             NDManager nd = NDManager.newBaseManager(Device.cpu())) {
            NDList actual = m.forward(new NDList(nd.create(input, new Shape(c.inputShape()))));
            assertThat(actual).hasSize(expected.size());
            for (int i = 0; i < expected.size(); i++) {
                OnnxTensor e = (OnnxTensor) expected.get(i);
                NDArray a = actual.get(i);
                assertThat(a.getShape().getShape()).as("shape of output " + i).containsExactly(e.getInfo().getShape());
                FloatBuffer fb = e.getFloatBuffer();
                float[] ev = new float[fb.remaining()];
                fb.get(ev);
                assertThat(Comparison.maxAbsDiff(a.toType(DataType.FLOAT32, false).toFloatArray(), ev))
                        .as("max abs diff of output " + i).isLessThanOrEqualTo(1e-5);
            }
        }
    }
}
