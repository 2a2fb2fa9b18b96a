package io.caas.engine.eval;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.TensorSpec;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.runtime.InterpretedModel;
import io.caas.engine.runtime.OnnxInterpreter;
import io.caas.engine.runtime.UnsupportedOperatorException;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Latency of a model in the engine's own interpreter (DJL on PyTorch), the runtime that fine-tunes it. ONNX
 * Runtime's figure is what a deployment sees; this one says what a training step's forward pass costs, and on a
 * GPU worker, what the GPU gives.
 */
public final class InterpreterTiming {

    private InterpreterTiming() {
    }

    /**
     * @param device "cpu()" or "gpu(0)" as DJL names it; PyTorch runs with its default threads (one per core),
     *               unlike the single-threaded ONNX Runtime figures
     */
    public record Result(String device, LatencyStats batch1, LatencyStats batchN) {
    }

    /**
     * @param sampleShape shape of one sample where the model's is symbolic; null to use the model's (symbolic as 1)
     * @throws EvaluationException for models this cannot time: several or non-float inputs, unsupported operators
     */
    public static Result measure(ModelProto model, long[] sampleShape, EvaluationOptions options, Device device) {
        List<TensorSpec> inputs = ModelInspector.inspect(model).inputs();
        if (inputs.size() != 1 || !inputs.get(0).elementType().equals("float")) {
            throw new EvaluationException("interpreter latency is measured for models with one float input");
        }
        TensorSpec input = inputs.get(0);
        long[] shape = sampleShape != null ? sampleShape : ModelRunner.modelSampleShape(input);
        boolean batchFixedToOne = !input.shape().isEmpty() && Long.valueOf(1L).equals(input.shape().get(0));
        try (InterpretedModel m = OnnxInterpreter.load(model, device);
             NDManager inputsManager = m.manager().newSubManager()) {
            NDArray one = random(inputsManager, shape, 1, options.seed());
            LatencyStats batch1 = time(m, one, 1, 1, options);
            int n = options.batchSize();
            LatencyStats batchN = batchFixedToOne
                    ? time(m, one, n, n, options)
                    : time(m, random(inputsManager, shape, n, options.seed()), 1, n, options);
            return new Result(m.device().toString(), batch1, batchN);
        } catch (UnsupportedOperatorException e) {
            throw new EvaluationException("the interpreter cannot run this model: " + e.getMessage(), e);
        }
    }

    /** @param calls forwards per measured run: a batch-1 model does batch N as N calls, as ORT's figure does */
    private static LatencyStats time(InterpretedModel m, NDArray x, int calls, int batchSize, EvaluationOptions options) {
        for (int i = 0; i < options.warmupRuns(); i++) {
            run(m, x, calls);
        }
        double[] ms = new double[options.timedRuns()];
        for (int i = 0; i < ms.length; i++) {
            long t0 = System.nanoTime();
            run(m, x, calls);
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        return LatencyStats.of(batchSize, calls > 1, ms);
    }

    private static void run(InterpretedModel m, NDArray x, int calls) {
        for (int c = 0; c < calls; c++) {
            NDList out = m.forward(new NDList(x));
            // Reading the result back waits for the device, so GPU timings are not just kernel launches.
            out.head().toFloatArray();
            out.close();
        }
    }

    private static NDArray random(NDManager manager, long[] sampleShape, int batch, long seed) {
        long[] shape = new long[sampleShape.length + 1];
        shape[0] = batch;
        System.arraycopy(sampleShape, 0, shape, 1, sampleShape.length);
        int n = (int) Arrays.stream(shape).reduce(1, Math::multiplyExact);
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextDouble();
        }
        return manager.create(v, new Shape(shape));
    }
}
