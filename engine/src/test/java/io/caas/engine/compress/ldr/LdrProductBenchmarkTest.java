package io.caas.engine.compress.ldr;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.eval.EvaluationOptions;
import io.caas.engine.eval.Evaluator;
import io.caas.engine.eval.ModelMeasurements;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.runtime.InterpretedModel;
import io.caas.engine.runtime.OnnxInterpreter;
import io.caas.engine.testing.OnnxModelBuilder;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What the two forms of an ldr product cost, on one n×n Gemm (then a dense n→10 classifier) for n from 256 to
 * 2048: ONNX Runtime latency with one thread at batch 1 and 64 (the deployment), and one training step in the
 * engine's interpreter at batch 64 (what fine-tuning and the data fit pay per step). The weights are random: cost
 * does not depend on their values.
 * Run: mvn -B -q -pl engine test -Pslow -Dtest=LdrProductBenchmarkTest
 */
@Tag("slow")
class LdrProductBenchmarkTest {

    private static final int[] WIDTHS = {256, 512, 1024, 2048};
    private static final EvaluationOptions OPTIONS = EvaluationOptions.defaults().withRuns(50, 300).withBatchSize(64);
    private static final int TRAIN_BATCH = 64;

    @Test
    void onnxRuntimeLatencyOfEachForm() throws Exception {
        System.out.println("n | model | parameters | ORT p50 ms batch 1 | ORT p50 ms batch 64");
        for (int n : WIDTHS) {
            ModelProto dense = OnnxModelBuilder.gemmMlp(7, n, n, 10);
            print(n, "dense original", Evaluator.measure(dense, Optional.empty(), OPTIONS));
            for (Map<String, Object> structure : structures()) {
                for (Product product : Product.values()) {
                    ModelProto m = ldr(dense, structure, product);
                    print(n, describe(structure, product), Evaluator.measure(m, Optional.empty(), OPTIONS));
                }
            }
        }
    }

    @Test
    void interpreterTrainingStepOfEachForm() throws Exception {
        System.out.println("n | model | interpreter training step p50 ms, batch " + TRAIN_BATCH);
        for (int n : WIDTHS) {
            ModelProto dense = OnnxModelBuilder.gemmMlp(7, n, n, 10);
            System.out.printf("%d | dense original | %.2f%n", n, trainingStepMs(dense, n));
            for (Map<String, Object> structure : structures()) {
                for (Product product : Product.values()) {
                    System.out.printf("%d | %s | %.2f%n", n, describe(structure, product),
                            trainingStepMs(ldr(dense, structure, product), n));
                }
            }
        }
    }

    private static Map<String, Object>[] structures() {
        @SuppressWarnings("unchecked")
        Map<String, Object>[] s = new Map[] {Map.of("displacementRank", 2), Map.of("structure", "circulant")};
        return s;
    }

    private static String describe(Map<String, Object> structure, Product product) {
        return (structure.containsKey("structure") ? "ldr circulant" : "ldr toeplitz-like r=2") + ", apply "
                + product.wireName();
    }

    private static ModelProto ldr(ModelProto dense, Map<String, Object> structure, Product product)
            throws InterruptedException {
        Map<String, Object> params = new java.util.HashMap<>(structure);
        params.put("apply", product.wireName());
        ModelProto m = new LdrMethod().compress(new CompressionTask(dense, params, Optional.empty(), Optional.empty()),
                ProgressListener.NONE).compressed();
        boolean dft = m.getGraph().getNodeList().stream().anyMatch(node -> node.getOpType().equals("DFT"));
        assertThat(dft).isEqualTo(product == Product.FOURIER);
        return m;
    }

    private static void print(int n, String name, ModelMeasurements m) {
        System.out.printf("%d | %s | %d | %.3f | %.3f%n", n, name, m.parameters(), m.batch1().p50Ms(),
                m.batchN().p50Ms());
    }

    /** Median of 30 forward + backward passes (after 10 warm-up ones) on a random batch. */
    private static double trainingStepMs(ModelProto model, int n) {
        Engine engine = Engine.getEngine(OnnxInterpreter.ENGINE);
        try (InterpretedModel m = OnnxInterpreter.load(model, Device.cpu());
             NDManager nd = m.manager().newSubManager()) {
            NDArray x = nd.randomNormal(new Shape(TRAIN_BATCH, n));
            ParameterStore ps = new ParameterStore(nd, false);
            double[] ms = new double[30];
            for (int i = -10; i < ms.length; i++) {
                long t0 = System.nanoTime();
                try (NDManager step = nd.newSubManager()) {
                    x.tempAttach(step);
                    try (GradientCollector gc = engine.newGradientCollector()) {
                        NDArray loss = m.block().forward(ps, new NDList(x), true).head().square().mean();
                        gc.backward(loss);
                    }
                }
                if (i >= 0) {
                    ms[i] = (System.nanoTime() - t0) / 1e6;
                }
            }
            Arrays.sort(ms);
            return ms[ms.length / 2];
        }
    }
}
