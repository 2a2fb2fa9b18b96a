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
import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The values a graph computes from its inputs' shapes and its constants alone (the Shape, Gather, Unsqueeze, Concat
 * chains exporters write for reshape targets) are computed once per input shape: a second pass with the same shape
 * runs only the operators that read data or weights, and gives the same result; a new shape computes them afresh.
 */
class ShapeOnlyValuesTest {

    /**
     * y = Reshape(x·W, [batch, 2, -1]) with the target built at run time from x's shape, as PyTorch exports a
     * view: Shape(x) → Gather(0) → Unsqueeze → Concat with [2, -1].
     */
    private static ModelProto model() {
        GraphProto.Builder g = GraphProto.newBuilder().setName("shape-only")
                .addNode(TinyModels.node("MatMul", new String[] {"x", "W"}, new String[] {"h"}));
        return TinyModels.model(reshapedByBatch(g, "x", "h").build(), 13);
    }

    /**
     * {@code g} with y = Reshape(value, [batch, 2, -1]), the batch read from {@code shapeOf}'s shape (Shape → Gather(0)
     * → Unsqueeze → Concat with [2, -1]), and x (batch × 6), W (6 × 4) and the chain's constants declared.
     */
    private static GraphProto.Builder reshapedByBatch(GraphProto.Builder g, String shapeOf, String value) {
        return g.addNode(TinyModels.node("Shape", new String[] {shapeOf}, new String[] {"s"}))
                .addNode(TinyModels.node("Gather", new String[] {"s", "zero"}, new String[] {"b"},
                        TinyModels.intAttr("axis", 0)))
                .addNode(TinyModels.node("Unsqueeze", new String[] {"b", "axes"}, new String[] {"b1"}))
                .addNode(TinyModels.node("Concat", new String[] {"b1", "rest"}, new String[] {"target"},
                        TinyModels.intAttr("axis", 0)))
                .addNode(TinyModels.node("Reshape", new String[] {value, "target"}, new String[] {"y"}))
                .addInitializer(TinyModels.floats("W", new Random(5), 6, 4))
                .addInitializer(Tensors.int64Tensor("zero", new long[] {0}))
                .addInitializer(Tensors.int64Tensor("axes", new long[] {0}, 1))
                .addInitializer(Tensors.int64Tensor("rest", new long[] {2, -1}, 2))
                .addInput(TinyModels.floatTensor("x", -1, 6))
                .addOutput(TinyModels.floatTensor("y"));
    }

    @Test
    void aSecondPassWithTheSameShapeRunsOnlyWhatReadsDataAndWeights() {
        try (InterpretedModel m = OnnxInterpreter.load(model(), Device.cpu());
             NDManager nd = NDManager.newBaseManager(Device.cpu(), OnnxInterpreter.ENGINE)) {
            NDArray x = nd.randomNormal(new Shape(3, 6));
            NDArray first = m.forward(new NDList(x)).singletonOrThrow();
            assertThat(m.block().operatorsRunPerPass()).as("every operator, the first time").isEqualTo(6);
            NDArray second = m.forward(new NDList(x.mul(2))).singletonOrThrow();
            assertThat(m.block().operatorsRunPerPass()).as("MatMul and Reshape, once the shape is known").isEqualTo(2);
            assertThat(second.getShape()).isEqualTo(new Shape(3, 2, 2));
            assertThat(second.toFloatArray()).containsExactly(first.mul(2).toFloatArray(),
                    org.assertj.core.data.Offset.offset(1e-5f));

            // another batch: another reshape target, computed afresh
            NDArray five = m.forward(new NDList(nd.randomNormal(new Shape(5, 6)))).singletonOrThrow();
            assertThat(five.getShape()).isEqualTo(new Shape(5, 2, 2));
            assertThat(m.block().operatorsRunPerPass()).isEqualTo(6);
            m.forward(new NDList(nd.randomNormal(new Shape(3, 6))));
            assertThat(m.block().operatorsRunPerPass()).as("the first shape is still known").isEqualTo(2);
        }
    }

    /**
     * A reshape target read from a dense layer's output, as MiniLM's attention heads read their projections': the
     * layer runs fused (MatMul then bias Add as one linear), and its output's shape still follows from x's.
     */
    @Test
    void aShapeReadFromAFusedLayersOutputIsKeptToo() {
        GraphProto.Builder g = GraphProto.newBuilder().setName("shape-of-linear")
                .addNode(TinyModels.node("MatMul", new String[] {"x", "W"}, new String[] {"h"}))
                .addNode(TinyModels.node("Add", new String[] {"h", "bias"}, new String[] {"hb"}))
                .addInitializer(TinyModels.floats("bias", new Random(6), 4));
        try (InterpretedModel m = OnnxInterpreter.load(TinyModels.model(reshapedByBatch(g, "hb", "hb").build(), 13),
                Device.cpu());
             NDManager nd = NDManager.newBaseManager(Device.cpu(), OnnxInterpreter.ENGINE)) {
            assertThat(m.block().plannedOperators()).startsWith("Linear");
            NDArray x = nd.randomNormal(new Shape(3, 6));
            m.forward(new NDList(x));
            assertThat(m.block().operatorsRunPerPass()).as("every operator, the first time").isEqualTo(6);
            NDArray second = m.forward(new NDList(x)).singletonOrThrow();
            assertThat(m.block().operatorsRunPerPass()).as("Linear and Reshape, once the shape is known").isEqualTo(2);
            assertThat(second.getShape()).isEqualTo(new Shape(3, 2, 2));
        }
    }

    /**
     * A value whose shape depends on the data is not kept: Shape of a Slice whose end is read from the input's
     * values gives a different answer for the same input shape.
     */
    @Test
    void theShapeOfAValueSizedByTheDataIsComputedEveryPass() {
        GraphProto g = GraphProto.newBuilder().setName("data-sized")
                .addNode(TinyModels.node("ReduceMax", new String[] {"x"}, new String[] {"m"},
                        TinyModels.intAttr("keepdims", 1)))
                .addNode(TinyModels.node("Cast", new String[] {"m"}, new String[] {"end"},
                        TinyModels.intAttr("to", io.caas.engine.onnx.proto.Onnx.TensorProto.DataType.INT64_VALUE)))
                .addNode(TinyModels.node("Slice", new String[] {"x", "start", "end"}, new String[] {"head"}))
                .addNode(TinyModels.node("Shape", new String[] {"head"}, new String[] {"y"}))
                .addInitializer(Tensors.int64Tensor("start", new long[] {0}, 1))
                .addInput(TinyModels.floatTensor("x", 6))
                .addOutput(TinyModels.tensor("y", io.caas.engine.onnx.proto.Onnx.TensorProto.DataType.INT64_VALUE))
                .build();
        try (InterpretedModel m = OnnxInterpreter.load(TinyModels.model(g, 13), Device.cpu());
             NDManager nd = NDManager.newBaseManager(Device.cpu(), OnnxInterpreter.ENGINE)) {
            long[] three = m.forward(new NDList(nd.create(new float[] {1, 3, 0, 2, 1, 0}))).singletonOrThrow()
                    .toLongArray();
            long[] five = m.forward(new NDList(nd.create(new float[] {5, 1, 0, 2, 1, 0}))).singletonOrThrow()
                    .toLongArray();
            assertThat(three).containsExactly(3);
            assertThat(five).containsExactly(5);
            assertThat(m.block().operatorsRunPerPass()).isEqualTo(4);
        }
    }

    /** Kept values are constants to autograd: the weights still get their gradients on a pass that reuses them. */
    @Test
    void gradientsStillReachTheWeightsOnAPassThatReusesKeptValues() {
        try (InterpretedModel m = OnnxInterpreter.load(model(), Device.cpu());
             NDManager nd = NDManager.newBaseManager(Device.cpu(), OnnxInterpreter.ENGINE)) {
            Parameter w = m.block().weightParameters().get("W");
            NDArray x = nd.randomNormal(new Shape(3, 6));
            float[][] grads = new float[2][];
            for (int pass = 0; pass < 2; pass++) {
                if (w.getArray().hasGradient()) {
                    w.getArray().getGradient().subi(w.getArray().getGradient());
                }
                try (GradientCollector gc = Engine.getEngine(OnnxInterpreter.ENGINE).newGradientCollector()) {
                    NDArray y = m.block().forward(new ParameterStore(nd, false), new NDList(x), true)
                            .singletonOrThrow();
                    gc.backward(y.sum());
                }
                grads[pass] = w.getArray().getGradient().toFloatArray();
            }
            assertThat(m.block().operatorsRunPerPass()).isEqualTo(2);
            assertThat(grads[1]).containsExactly(grads[0], org.assertj.core.data.Offset.offset(1e-6f));
            assertThat(grads[1]).isNotEqualTo(new float[grads[1].length]);
        }
    }
}
