package io.caas.engine.testing;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.caas.engine.eval.ModelRunner;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.runtime.InterpretedModel;
import io.caas.engine.runtime.OnnxInterpreter;
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
}
