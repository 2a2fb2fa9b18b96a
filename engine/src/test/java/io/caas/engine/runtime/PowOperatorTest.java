package io.caas.engine.runtime;

import static io.caas.engine.runtime.TinyModels.node;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import io.caas.engine.onnx.proto.Onnx.TypeProto;
import io.caas.engine.onnx.proto.Onnx.ValueInfoProto;
import java.nio.FloatBuffer;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Pow against ONNX Runtime, value for value: a squared STFT is how spectrogram models take a power. */
class PowOperatorTest {

    private static final int N = 1 << 16;

    /** Floats over many magnitudes, both signs. */
    private static float[] input() {
        Random rnd = new Random(15);
        float[] v = new float[N];
        for (int i = 0; i < N; i++) {
            v[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(9) - 3));
        }
        return v;
    }

    private static ModelProto pow(float exponent, long... exponentShape) {
        GraphProto g = GraphProto.newBuilder().setName("pow")
                .addNode(node("Pow", new String[] {"x", "e"}, new String[] {"y"}))
                .addInput(TinyModels.floatTensor("x", N))
                .addInitializer(Tensors.floatTensor("e", new float[] {exponent}, exponentShape))
                .addOutput(ValueInfoProto.newBuilder().setName("y").setType(TypeProto.newBuilder().setTensorType(
                        TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE)))).build();
        return TinyModels.model(g, 13);
    }

    private static float[] ort(ModelProto model, float[] x) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession s = env.createSession(model.toByteArray(), new OrtSession.SessionOptions());
             OnnxTensor feed = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {N});
             OrtSession.Result r = s.run(Map.of("x", feed))) {
            FloatBuffer fb = ((OnnxTensor) r.get(0)).getFloatBuffer();
            float[] v = new float[fb.remaining()];
            fb.get(v);
            return v;
        }
    }

    private static NDArray interpreter(ModelProto model, float[] x, NDManager nd) {
        try (InterpretedModel m = OnnxInterpreter.load(model, Device.cpu())) {
            NDArray y = m.forward(new NDList(nd.create(x, new Shape(N)))).head();
            y.attach(nd);
            return y;
        }
    }

    private static int differing(float[] a, float[] b) {
        assertThat(a).hasSameSizeAs(b);
        int n = 0;
        for (int i = 0; i < a.length; i++) {
            n += Float.compare(a[i], b[i]) == 0 ? 0 : 1;
        }
        return n;
    }

    @Test
    void squareIsTheCorrectlyRoundedProductAsInOnnxRuntime() throws Exception {
        float[] x = input();
        float[] product = new float[N];
        for (int i = 0; i < N; i++) {
            product[i] = x[i] * x[i];
        }
        try (NDManager nd = NDManager.newBaseManager(Device.cpu(), OnnxInterpreter.ENGINE)) {
            for (long[] shape : new long[][] {{}, {1}}) {
                ModelProto model = pow(2, shape);
                assertThat(differing(ort(model, x), product)).as("ONNX Runtime squares by a product").isZero();
                NDArray y = interpreter(model, x, nd);
                assertThat(y.getShape()).isEqualTo(new Shape(N));
                assertThat(differing(y.toFloatArray(), product)).isZero();
            }
        }
    }

    @Test
    void anExponentOfMoreDimensionsStillBroadcasts() throws Exception {
        float[] x = input();
        ModelProto model = pow(2, 1, 1);
        try (NDManager nd = NDManager.newBaseManager(Device.cpu(), OnnxInterpreter.ENGINE)) {
            NDArray y = interpreter(model, x, nd);
            assertThat(y.getShape()).isEqualTo(new Shape(1, N));
            assertThat(differing(y.toFloatArray(), ort(model, x))).isZero();
        }
    }

    @Test
    void otherExponentsStayWithinAnUlp() throws Exception {
        float[] x = input();
        for (int i = 0; i < N; i++) {
            x[i] = Math.abs(x[i]);
        }
        try (NDManager nd = NDManager.newBaseManager(Device.cpu(), OnnxInterpreter.ENGINE)) {
            for (float e : new float[] {3, 0.5f, -1.5f}) {
                ModelProto model = pow(e);
                float[] expected = ort(model, x);
                float[] actual = interpreter(model, x, nd).toFloatArray();
                for (int i = 0; i < N; i++) {
                    assertThat(Math.abs(actual[i] - expected[i])).as("x^%s at %s", e, x[i])
                            .isLessThanOrEqualTo(Math.ulp(expected[i]));
                }
            }
        }
    }
}
