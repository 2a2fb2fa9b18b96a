package io.caas.engine.runtime;

import static io.caas.engine.runtime.TinyModels.floatTensor;
import static io.caas.engine.runtime.TinyModels.floats;
import static io.caas.engine.runtime.TinyModels.intAttr;
import static io.caas.engine.runtime.TinyModels.model;
import static io.caas.engine.runtime.TinyModels.node;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
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

class OnnxInterpreterTest {

    @Test
    void registryCoversExactlyTheSupportedOperators() {
        assertThat(OperatorRegistry.all().keySet()).containsExactlyInAnyOrderElementsOf(SupportedOperators.all());
    }

    @Test
    void unsupportedOperatorIsNamedWithItsNode() {
        GraphProto g = GraphProto.newBuilder().setName("g")
                .addNode(node("Relu", new String[] {"x"}, new String[] {"r"}))
                .addNode(node("Softplus", new String[] {"r"}, new String[] {"y"}))
                .addInput(floatTensor("x", 2)).addOutput(floatTensor("y", 2)).build();
        assertThatThrownBy(() -> OnnxInterpreter.load(model(g, 13), Device.cpu()))
                .isInstanceOf(UnsupportedOperatorException.class)
                .hasMessageContaining("Softplus").hasMessageContaining("Softplus_y");
    }

    /** x[2,3] -> Gemm(W[4,3], b[4], transB) -> Relu -> Reshape(by an int64 constant) -> y[8]. */
    private static ModelProto denseModel() {
        Random rnd = new Random(7);
        GraphProto g = GraphProto.newBuilder().setName("dense")
                .addNode(node("Gemm", new String[] {"x", "W", "b"}, new String[] {"h"}, intAttr("transB", 1)))
                .addNode(node("Relu", new String[] {"h"}, new String[] {"r"}))
                .addNode(node("Reshape", new String[] {"r", "shape"}, new String[] {"y"}))
                .addInitializer(floats("W", rnd, 4, 3))
                .addInitializer(Tensors.floatTensor("b", new float[] {0.1f, 0.2f, 0.3f, 0.4f}, 4))
                .addInitializer(Tensors.int64Tensor("shape", new long[] {-1}, 1))
                .addInput(floatTensor("x", 2, 3)).addOutput(floatTensor("y", 8)).build();
        return model(g, 13);
    }

    @Test
    void floatWeightsAreTrainableParametersAndIntegerTensorsConstants() {
        try (InterpretedModel m = OnnxInterpreter.load(denseModel(), Device.cpu())) {
            assertThat(m.block().weightParameters()).containsOnlyKeys("W", "b");
            assertThat(m.block().constants()).containsOnlyKeys("shape");
            assertThat(m.block().getParameters().size()).isEqualTo(2);
            assertThat(m.inputNames()).containsExactly("x");
        }
    }

    @Test
    void forwardComputesTheGraph() {
        try (InterpretedModel m = OnnxInterpreter.load(denseModel(), Device.cpu());
             NDManager nd = NDManager.newBaseManager(Device.cpu())) {
            NDArray x = nd.create(new float[] {1, 2, 3, -1, 0, 1}, new Shape(2, 3));
            NDArray w = m.block().weightParameters().get("W").getArray();
            NDArray b = m.block().weightParameters().get("b").getArray();
            NDArray expected = x.matMul(w.transpose()).add(b).maximum(0).reshape(8);
            NDList out = m.forward(new NDList(x));
            assertThat(out.singletonOrThrow().getShape()).isEqualTo(new Shape(8));
            assertThat(out.singletonOrThrow().toFloatArray()).containsExactly(expected.toFloatArray());
            assertThat(out.singletonOrThrow().getManager()).isSameAs(nd);
        }
    }

    @Test
    void valuesReturnsIntermediateValuesInTheOrderAsked() {
        try (InterpretedModel m = OnnxInterpreter.load(denseModel(), Device.cpu());
             NDManager nd = NDManager.newBaseManager(Device.cpu())) {
            NDArray x = nd.create(new float[] {1, 2, 3, -1, 0, 1}, new Shape(2, 3));
            NDArray w = m.block().weightParameters().get("W").getArray();
            NDArray b = m.block().weightParameters().get("b").getArray();
            NDList values = m.values(new NDList(x), java.util.List.of("r", "h", "x", "y"));
            NDArray h = x.matMul(w.transpose()).add(b);
            assertThat(values).hasSize(4);
            assertThat(values.get(0).toFloatArray()).containsExactly(h.maximum(0).toFloatArray());
            assertThat(values.get(1).getShape()).isEqualTo(new Shape(2, 4));
            assertThat(values.get(1).toFloatArray()).containsExactly(h.toFloatArray());
            // a graph input comes back as a copy that outlives the pass, like every other value
            assertThat(values.get(2).toFloatArray()).containsExactly(x.toFloatArray());
            assertThat(values.get(3).toFloatArray()).containsExactly(m.forward(new NDList(x)).head().toFloatArray());
            assertThat(values.get(0).getManager()).isSameAs(nd);
            assertThatThrownBy(() -> m.values(new NDList(x), java.util.List.of("nope")))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'nope'");
        }
    }

    /**
     * forward is inference: on a thread that records autograd (a job's worker thread starts so) with weights that
     * train, it records nothing, so nothing is kept with its outputs and a backward pass from them finds no graph;
     * the thread's mode is as it was after. The block's training forward on the same thread records.
     */
    @Test
    void forwardRecordsNoGradientOnAThreadThatRecords() throws Exception {
        java.util.concurrent.atomic.AtomicReference<Object[]> seen = new java.util.concurrent.atomic.AtomicReference<>();
        try (InterpretedModel m = OnnxInterpreter.load(denseModel(), Device.cpu())) {
            Thread worker = new Thread(() -> {
                try (NDManager nd = m.manager().newSubManager()) {
                    NDArray x = nd.create(new float[] {1, 2, 3, -1, 0, 1}, new Shape(2, 3));
                    boolean before = ai.djl.pytorch.jni.JniUtils.isGradMode();
                    NDArray y = m.forward(new NDList(x)).singletonOrThrow();
                    boolean after = ai.djl.pytorch.jni.JniUtils.isGradMode();
                    Throwable inference = null;
                    try {
                        ai.djl.pytorch.jni.JniUtils.backward((ai.djl.pytorch.engine.PtNDArray) y.sum(),
                                (ai.djl.pytorch.engine.PtNDArray) nd.create(1f), false, false);
                    } catch (RuntimeException e) {
                        inference = e;
                    }
                    NDArray trained = m.block().forward(new ParameterStore(nd, false), new NDList(x), true)
                            .singletonOrThrow();
                    ai.djl.pytorch.jni.JniUtils.backward((ai.djl.pytorch.engine.PtNDArray) trained.sum(),
                            (ai.djl.pytorch.engine.PtNDArray) nd.create(1f), false, false);
                    float gradient = m.block().weightParameters().get("W").getArray().getGradient().abs().sum()
                            .getFloat();
                    seen.set(new Object[] {before, after, inference, gradient});
                }
            });
            worker.start();
            worker.join();
        }
        assertThat(seen.get()[0]).as("a new thread records").isEqualTo(true);
        assertThat(seen.get()[1]).as("and still does after forward").isEqualTo(true);
        assertThat((Throwable) seen.get()[2]).as("backward from forward's output").isNotNull()
                .hasMessageContaining("does not require grad");
        assertThat((float) seen.get()[3]).as("the training forward's gradient").isGreaterThan(0f);
    }

    @Test
    void gradientsReachParametersButNotFrozenOnes() {
        try (InterpretedModel m = OnnxInterpreter.load(denseModel(), Device.cpu());
             NDManager nd = NDManager.newBaseManager(Device.cpu())) {
            Parameter w = m.block().weightParameters().get("W");
            Parameter b = m.block().weightParameters().get("b");
            b.freeze(true);
            NDArray x = nd.create(new float[] {1, 2, 3, -1, 0, 1}, new Shape(2, 3));
            try (GradientCollector gc = Engine.getEngine(OnnxInterpreter.ENGINE).newGradientCollector()) {
                NDArray y = m.block().forward(new ParameterStore(nd, false), new NDList(x), true).singletonOrThrow();
                gc.backward(y.square().sum());
            }
            assertThat(w.getArray().getGradient().abs().sum().getFloat()).isGreaterThan(0f);
            // Frozen: PyTorch tracks no gradient for it at all, so an optimizer has nothing to apply.
            assertThat(b.requiresGradient()).isFalse();
            assertThat(b.getArray().hasGradient()).isFalse();
            b.freeze(false);
        }
    }

    @Test
    void djlTrainerTrainsTheBlock() {
        try (InterpretedModel m = OnnxInterpreter.load(denseModel(), Device.cpu());
             Model model = Model.newInstance("dense", Device.cpu(), OnnxInterpreter.ENGINE)) {
            model.setBlock(m.block());
            DefaultTrainingConfig cfg = new DefaultTrainingConfig(Loss.l2Loss())
                    .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).build());
            try (Trainer trainer = model.newTrainer(cfg)) {
                trainer.initialize(new Shape(2, 3));
                NDManager nd = trainer.getManager();
                NDArray x = nd.create(new float[] {1, 2, 3, -1, 0, 1}, new Shape(2, 3));
                NDArray target = nd.create(new float[] {1, 0, 1, 0, 0, 1, 0, 1});
                float first = 0;
                float last = 0;
                for (int i = 0; i < 30; i++) {
                    try (GradientCollector gc = trainer.newGradientCollector()) {
                        NDArray pred = trainer.forward(new NDList(x)).singletonOrThrow();
                        NDArray loss = trainer.getLoss().evaluate(new NDList(target), new NDList(pred));
                        gc.backward(loss);
                        last = loss.getFloat();
                        if (i == 0) {
                            first = last;
                        }
                    }
                    trainer.step();
                }
                assertThat(last).isLessThan(first * 0.5f);
            }
        }
    }

    /** Intermediates die with each call: repeated forwards and training steps leave no arrays behind. */
    @Test
    void forwardsLeaveNoArraysBehind() {
        try (InterpretedModel m = OnnxInterpreter.load(denseModel(), Device.cpu());
             NDManager nd = NDManager.newBaseManager(Device.cpu())) {
            NDArray x = nd.create(new float[] {1, 2, 3, -1, 0, 1}, new Shape(2, 3));
            m.forward(new NDList(x)).close();
            int modelArrays = managed(m.manager());
            int callerArrays = managed(nd);
            for (int i = 0; i < 20; i++) {
                m.forward(new NDList(x)).close();
                // DJL's backward leaves its gradient seed on the loss's manager, hence a per-step manager.
                try (NDManager step = nd.newSubManager();
                     GradientCollector gc = Engine.getEngine(OnnxInterpreter.ENGINE).newGradientCollector()) {
                    NDArray xs = step.create(new float[] {1, 2, 3, -1, 0, 1}, new Shape(2, 3));
                    NDList out = m.block().forward(new ParameterStore(m.manager(), false), new NDList(xs), true);
                    gc.backward(out.head().sum());
                }
            }
            assertThat(managed(m.manager())).isEqualTo(modelArrays);
            assertThat(managed(nd)).isEqualTo(callerArrays);
        }
    }

    private static int managed(NDManager m) {
        return ((ai.djl.ndarray.BaseNDManager) m).getManagedArrays().size();
    }
}
