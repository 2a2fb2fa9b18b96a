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
import io.caas.engine.TestData;
import io.caas.engine.onnx.OnnxModels;
import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.proto.Onnx.AttributeProto;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Gradients through control flow, on openWakeWord's hey_jarvis: its verifier head (two Gemms and their layer
 * norms) exists only inside the then-branch of an If that the first head's score decides. Fine-tuning must reach
 * the verifier's weights when that branch is taken, and leave them alone when it is not.
 */
class ControlFlowTest {

    private static final String JARVIS = "openwakeword/package/models/hey_jarvis_v0.1.onnx";
    private static final String VERIFIER_WEIGHT = "verifier_model.1.weight";
    private static final String FIRST_HEAD_WEIGHT = "model.1.weight";

    @Test
    void weightsInsideABranchAreParametersAndGetGradientsExactlyWhenItIsTaken() throws Exception {
        ModelProto jarvis = OnnxModels.read(TestData.require(JARVIS));
        long frames = jarvis.getGraph().getInput(0).getType().getTensorType().getShape().getDim(1).getDimValue();
        try (InterpretedModel m = OnnxInterpreter.load(jarvis, Device.cpu());
             NDManager nd = NDManager.newBaseManager(Device.cpu(), OnnxInterpreter.ENGINE)) {
            assertThat(m.block().weightParameters()).as("weights read only inside the branch are learnable")
                    .containsKeys(VERIFIER_WEIGHT, FIRST_HEAD_WEIGHT);
            NDArray fires = null;
            NDArray quiet = null;
            Random rnd = new Random(7);
            for (int tries = 0; tries < 200 && (fires == null || quiet == null); tries++) {
                float[] x = new float[(int) frames * 96];
                float scale = (float) Math.pow(10, rnd.nextInt(4)) * (rnd.nextBoolean() ? 1 : -1);
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) rnd.nextGaussian() * scale;
                }
                NDArray input = nd.create(x, new Shape(1, frames, 96));
                boolean cond = m.values(new NDList(input), List.of("onnx::If_52")).get(0)
                        .toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray()[0] != 0;
                if (cond && fires == null) {
                    fires = input;
                } else if (!cond && quiet == null) {
                    quiet = input;
                }
            }
            assertThat(fires).as("an input that takes the then-branch").isNotNull();
            assertThat(quiet).as("an input that takes the else-branch").isNotNull();

            assertThat(gradientNorms(m, fires)).as("then-branch: [verifier, first head]")
                    .satisfies(g -> assertThat(g[0]).isPositive());
            double[] elseBranch = gradientNorms(m, quiet);
            assertThat(elseBranch[0]).as("else-branch: the verifier took no part").isZero();
            assertThat(elseBranch[1]).as("else-branch: the first head's weights are the output").isPositive();
        }
    }

    /** |grad| of the verifier's and the first head's first weight after one backward pass of the output. */
    private static double[] gradientNorms(InterpretedModel m, NDArray input) {
        Parameter verifier = m.block().weightParameters().get(VERIFIER_WEIGHT);
        Parameter first = m.block().weightParameters().get(FIRST_HEAD_WEIGHT);
        for (Parameter p : List.of(verifier, first)) {
            if (p.getArray().hasGradient()) {
                p.getArray().getGradient().subi(p.getArray().getGradient());
            }
        }
        try (GradientCollector gc = Engine.getEngine(OnnxInterpreter.ENGINE).newGradientCollector()) {
            NDArray y = m.block().forward(new ParameterStore(input.getManager(), false), new NDList(input), true)
                    .singletonOrThrow();
            gc.backward(y.sum());
        }
        return new double[] {norm(verifier), norm(first)};
    }

    private static double norm(Parameter p) {
        return p.getArray().hasGradient() ? p.getArray().getGradient().abs().sum().getFloat() : 0;
    }

    /**
     * y = x·W·W·W through a Loop of three trips whose body multiplies its carried value by the outer-scope W:
     * the gradient W gets through the loop equals the one PyTorch computes for the unrolled product.
     */
    @Test
    void gradientsFlowThroughEveryIterationOfALoop() {
        Random rnd = new Random(3);
        GraphProto body = GraphProto.newBuilder().setName("body")
                .addNode(TinyModels.node("MatMul", new String[] {"v_in", "W"}, new String[] {"v_out"}))
                .addNode(TinyModels.node("Identity", new String[] {"cond_in"}, new String[] {"cond_out"}))
                .addInput(TinyModels.tensor("i", TensorProto.DataType.INT64_VALUE))
                .addInput(TinyModels.tensor("cond_in", TensorProto.DataType.BOOL_VALUE))
                .addInput(TinyModels.floatTensor("v_in", 2, 3))
                .addOutput(TinyModels.tensor("cond_out", TensorProto.DataType.BOOL_VALUE))
                .addOutput(TinyModels.floatTensor("v_out", 2, 3)).build();
        GraphProto g = GraphProto.newBuilder().setName("loop")
                .addNode(TinyModels.node("Loop", new String[] {"trips", "", "x"}, new String[] {"y"},
                        AttributeProto.newBuilder().setName("body").setType(AttributeProto.AttributeType.GRAPH)
                                .setG(body).build()))
                .addInitializer(TinyModels.floats("W", rnd, 3, 3))
                .addInitializer(Tensors.int64Tensor("trips", new long[] {3}))
                .addInput(TinyModels.floatTensor("x", 2, 3)).addOutput(TinyModels.floatTensor("y", 2, 3)).build();
        try (InterpretedModel m = OnnxInterpreter.load(TinyModels.model(g, 13), Device.cpu());
             NDManager nd = NDManager.newBaseManager(Device.cpu(), OnnxInterpreter.ENGINE)) {
            Parameter w = m.block().weightParameters().get("W");
            assertThat(w).as("a weight read only inside the body is a parameter").isNotNull();
            NDArray x = nd.create(new float[] {1, 2, 3, -1, 0.5f, 2}, new Shape(2, 3));
            NDArray y;
            try (GradientCollector gc = Engine.getEngine(OnnxInterpreter.ENGINE).newGradientCollector()) {
                y = m.block().forward(new ParameterStore(nd, false), new NDList(x), true).singletonOrThrow();
                gc.backward(y.sum());
            }
            NDArray unrolledW = w.getArray().duplicate();
            unrolledW.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getEngine(OnnxInterpreter.ENGINE).newGradientCollector()) {
                NDArray unrolled = x.matMul(unrolledW).matMul(unrolledW).matMul(unrolledW);
                assertThat(y.toFloatArray()).containsExactly(unrolled.toFloatArray(), org.assertj.core.data.Offset
                        .offset(1e-5f));
                gc.backward(unrolled.sum());
            }
            assertThat(w.getArray().getGradient().toFloatArray()).containsExactly(
                    unrolledW.getGradient().toFloatArray(), org.assertj.core.data.Offset.offset(1e-5f));
            assertThat(unrolledW.getGradient().abs().sum().getFloat()).isPositive();
        }
    }

    /**
     * A model whose every weight sits inside the branches of an If (as Silero VAD's do): an initializer of one
     * branch and a Constant node of the other are counted, and an operator the interpreter lacks inside a branch
     * is named before anything runs.
     */
    @Test
    void weightsAndOperatorsInsideBranchesAreSeen() {
        Random rnd = new Random(5);
        GraphProto then = GraphProto.newBuilder().setName("then")
                .addNode(TinyModels.node("MatMul", new String[] {"x", "Wt"}, new String[] {"yt"}))
                .addInitializer(TinyModels.floats("Wt", rnd, 3, 2))
                .addOutput(TinyModels.floatTensor("yt", 1, 2)).build();
        GraphProto otherwise = GraphProto.newBuilder().setName("else")
                .addNode(TinyModels.node("Constant", new String[0], new String[] {"We"},
                        AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR)
                                .setT(TinyModels.floats("We", rnd, 3, 2)).build()))
                .addNode(TinyModels.node("MatMul", new String[] {"x", "We"}, new String[] {"ye"}))
                .addNode(TinyModels.node("Hardmax", new String[] {"ye"}, new String[] {"he"}))
                .addOutput(TinyModels.floatTensor("he", 1, 2)).build();
        GraphProto g = GraphProto.newBuilder().setName("branches")
                .addNode(TinyModels.node("If", new String[] {"cond"}, new String[] {"y"},
                        AttributeProto.newBuilder().setName("then_branch").setType(AttributeProto.AttributeType.GRAPH)
                                .setG(then).build(),
                        AttributeProto.newBuilder().setName("else_branch").setType(AttributeProto.AttributeType.GRAPH)
                                .setG(otherwise).build()))
                .addInput(TinyModels.floatTensor("x", 1, 3))
                .addInput(TinyModels.tensor("cond", TensorProto.DataType.BOOL_VALUE))
                .addOutput(TinyModels.floatTensor("y", 1, 2)).build();
        ModelProto model = TinyModels.model(g, 13);
        var summary = io.caas.engine.onnx.ModelInspector.inspect(model);
        assertThat(summary.parameters()).as("the two branches' 3x2 weights").isEqualTo(12);
        assertThat(summary.unsupportedOperators()).containsExactly("Hardmax");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> OnnxInterpreter.load(model, Device.cpu()))
                .isInstanceOf(UnsupportedOperatorException.class).hasMessageContaining("Hardmax");
    }
}
