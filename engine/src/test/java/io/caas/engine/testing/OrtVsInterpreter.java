package io.caas.engine.testing;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.caas.engine.data.DatasetInput;
import io.caas.engine.eval.ModelRunner;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.runtime.InterpretedModel;
import io.caas.engine.runtime.OnnxInterpreter;
import java.util.List;
import java.util.SplittableRandom;

/** The largest difference between ONNX Runtime and the interpreter on the same inputs. */
public final class OrtVsInterpreter {

    private OrtVsInterpreter() {
    }

    /** On seeded uniform [0, 1) inputs of the given sample shape. */
    public static double maxAbsDiff(ModelProto model, long[] sampleShape, int samples) {
        int per = 1;
        for (long d : sampleShape) {
            per *= (int) d;
        }
        float[] x = new float[per * samples];
        SplittableRandom r = new SplittableRandom(17);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextDouble();
        }
        return maxAbsDiff(model, sampleShape, x, samples);
    }

    public static double maxAbsDiff(ModelProto model, long[] sampleShape, float[] x, int samples) {
        float[][] ort;
        try (ModelRunner runner = new ModelRunner(model, 1, sampleShape)) {
            ort = runner.run(x, 0, samples);
        }
        long[] shape = new long[sampleShape.length + 1];
        shape[0] = samples;
        System.arraycopy(sampleShape, 0, shape, 1, sampleShape.length);
        double max = 0;
        try (InterpretedModel m = OnnxInterpreter.load(model, Device.cpu());
             NDManager nd = m.manager().newSubManager()) {
            float[] interp = m.forward(new NDList(nd.create(java.util.Arrays.copyOf(x, (int) (x.length / samples
                    * samples)), new Shape(shape)))).head().toFloatArray();
            int per = interp.length / samples;
            for (int i = 0; i < samples; i++) {
                for (int c = 0; c < per; c++) {
                    max = Math.max(max, Math.abs(ort[i][c] - interp[i * per + c]));
                }
            }
        }
        return max;
    }

    /**
     * For a model with several float inputs: each sample of {@code x} holds every part's values one after the
     * other (as {@link io.caas.engine.data.Dataset#inputs()} lays them out); the first outputs are compared.
     */
    public static double maxAbsDiff(ModelProto model, List<DatasetInput> parts, float[] x, int samples) {
        float[][] ort = onnxRuntime(model, parts, x, samples);
        float[] interp = interpreter(model, parts, x, samples);
        double max = 0;
        int per = interp.length / samples;
        for (int i = 0; i < samples; i++) {
            for (int c = 0; c < per; c++) {
                max = Math.max(max, Math.abs(ort[i][c] - interp[i * per + c]));
            }
        }
        return max;
    }

    /** ONNX Runtime's first output, one row per sample, with each part of a sample fed to its input. */
    public static float[][] onnxRuntime(ModelProto model, List<DatasetInput> parts, float[] x, int samples) {
        long total = parts.stream().mapToLong(DatasetInput::elements).sum();
        try (ModelRunner runner = new ModelRunner(model, 1, new long[] {total}, parts)) {
            return runner.run(x, 0, samples);
        }
    }

    /** The interpreter's first output, flattened, with each part of a sample fed to its input. */
    public static float[] interpreter(ModelProto model, List<DatasetInput> parts, float[] x, int samples) {
        int total = parts.stream().mapToInt(DatasetInput::elements).sum();
        try (InterpretedModel m = OnnxInterpreter.load(model, Device.cpu());
             NDManager nd = m.manager().newSubManager()) {
            NDList inputs = new NDList();
            int at = 0;
            for (DatasetInput part : parts) {
                int n = part.elements();
                float[] values = new float[samples * n];
                for (int i = 0; i < samples; i++) {
                    System.arraycopy(x, i * total + at, values, i * n, n);
                }
                long[] shape = new long[part.sampleShape().length + 1];
                shape[0] = samples;
                System.arraycopy(part.sampleShape(), 0, shape, 1, part.sampleShape().length);
                inputs.add(nd.create(values, new Shape(shape)));
                at += n;
            }
            return m.forward(inputs).head().toFloatArray();
        }
    }
}
