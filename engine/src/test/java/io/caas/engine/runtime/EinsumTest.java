package io.caas.engine.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.testing.OnnxModelBuilder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The interpreter's Einsum against ONNX Runtime's, on the forms layers use, and its gradients. */
class EinsumTest {

    /** One model input per operand, named a0, a1...; shapes as "2x3;3x4". */
    private static ModelProto model(String equation, long[][] shapes, long[] outShape) {
        OnnxModelBuilder b = new OnnxModelBuilder("einsum", 13);
        List<String> names = new ArrayList<>();
        for (int i = 0; i < shapes.length; i++) {
            b.input("a" + i, shapes[i]);
            names.add("a" + i);
        }
        return b.node("Einsum", names, List.of("z"), OnnxModelBuilder.text("equation", equation))
                .output("z", outShape).build();
    }

    private static long[][] shapes(String spec) {
        String[] parts = spec.split(";");
        long[][] s = new long[parts.length][];
        for (int i = 0; i < parts.length; i++) {
            String[] d = parts[i].split("x");
            s[i] = new long[d.length];
            for (int k = 0; k < d.length; k++) {
                s[i][k] = Long.parseLong(d[k]);
            }
        }
        return s;
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "bi,kij,bj->bk | 5x7;4x7x6;5x6 | 5x4",   // PyTorch's nn.Bilinear
            "bn,anm,bm->ba | 3x4;2x4x5;3x5 | 3x2",   // the same with nn.Bilinear's own letters
            "kij,bi,bj->bk | 4x7x6;5x7;5x6 | 5x4",   // weight first
            "bij,bjk->bik | 2x3x4;2x4x5 | 2x3x5",    // batched matmul
            "ij->ji | 3x4 | 4x3",                     // transpose
            "ij->i | 3x4 | 3",                        // row sums
            "i,i | 6;6 | ",                           // implicit output: inner product, a scalar
            "ij,jk | 3x4;4x2 | 3x2",                  // implicit output: matmul
            "bi,bj->bij | 2x3;2x4 | 2x3x4"})          // outer product per sample
    void matchesOnnxRuntime(String equation, String shapeSpec, String outSpec) throws Exception {
        long[][] shapes = shapes(shapeSpec.strip());
        long[] out = outSpec == null || outSpec.isBlank() ? new long[0] : shapes(outSpec.strip())[0];
        ModelProto model = model(equation.strip(), shapes, out);
        SplittableRandom r = new SplittableRandom(equation.hashCode());
        List<float[]> values = new ArrayList<>();
        for (long[] s : shapes) {
            float[] v = new float[(int) new Shape(s).size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (r.nextDouble() * 2 - 1);
            }
            values.add(v);
        }
        float[] expected = ort(model, shapes, values);
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), OnnxInterpreter.ENGINE);
             InterpretedModel im = OnnxInterpreter.load(model, Device.cpu())) {
            NDList inputs = new NDList();
            for (int i = 0; i < shapes.length; i++) {
                inputs.add(m.create(values.get(i), new Shape(shapes[i])));
            }
            NDArray z = im.forward(inputs).head();
            assertThat(z.getShape().getShape()).isEqualTo(out);
            float[] actual = z.toFloatArray();
            assertThat(actual).hasSize(expected.length);
            for (int i = 0; i < actual.length; i++) {
                assertThat((double) actual[i]).as(equation + " element " + i).isCloseTo(expected[i],
                        org.assertj.core.data.Offset.offset(1e-5 + 1e-5 * Math.abs(expected[i])));
            }
        }
    }

    private static float[] ort(ModelProto model, long[][] shapes, List<float[]> values) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(model.toByteArray(), new OrtSession.SessionOptions())) {
            Map<String, OnnxTensor> feed = new LinkedHashMap<>();
            try {
                for (int i = 0; i < shapes.length; i++) {
                    feed.put("a" + i, OnnxTensor.createTensor(env, FloatBuffer.wrap(values.get(i)), shapes[i]));
                }
                try (OrtSession.Result result = session.run(feed)) {
                    FloatBuffer fb = ((OnnxTensor) result.get(0)).getFloatBuffer();
                    float[] out = new float[fb.remaining()];
                    fb.get(out);
                    return out;
                }
            } finally {
                feed.values().forEach(OnnxTensor::close);
            }
        }
    }

    /** d/dW of Σ_bk z[b,k] for z = x·W_k·y is Σ_b x[b,i]·y[b,j] in every k: the weight trains through Einsum. */
    @Test
    void gradientReachesABilinearWeight() {
        float[] w = new float[2 * 3 * 4];
        ModelProto model = new OnnxModelBuilder("bilinear", 13).input("x", -1, 3).input("y", -1, 4)
                .initializer("w", w, 2, 3, 4)
                .node("Einsum", List.of("x", "w", "y"), List.of("z"), OnnxModelBuilder.text("equation", "bi,kij,bj->bk"))
                .output("z", -1, 2).build();
        float[] x = {1, 2, 3, -1, 0, 2};
        float[] y = {1, 0, -1, 2, 3, 1, 1, 0};
        try (InterpretedModel im = OnnxInterpreter.load(model, Device.cpu());
             NDManager m = im.manager().newSubManager()) {
            NDList inputs = new NDList(m.create(x, new Shape(2, 3)), m.create(y, new Shape(2, 4)));
            NDArray weight = im.block().weightParameters().get("w").getArray();
            try (GradientCollector gc = Engine.getEngine(OnnxInterpreter.ENGINE).newGradientCollector()) {
                NDArray z = im.block().forward(new ParameterStore(im.manager(), false), inputs, true).head();
                gc.backward(z.sum());
            }
            float[] grad = weight.getGradient().toFloatArray();
            for (int k = 0; k < 2; k++) {
                for (int i = 0; i < 3; i++) {
                    for (int j = 0; j < 4; j++) {
                        float expected = x[i] * y[j] + x[3 + i] * y[4 + j];
                        assertThat(grad[k * 12 + i * 4 + j]).isEqualTo(expected);
                    }
                }
            }
        }
    }

    @Test
    void diagonalsAndEllipsesAreRefusedByName() {
        ModelProto diagonal = model("ii->i", new long[][] {{3, 3}}, new long[] {3});
        ModelProto ellipsis = model("...ij->...ji", new long[][] {{2, 3, 4}}, new long[] {2, 4, 3});
        for (ModelProto m : List.of(diagonal, ellipsis)) {
            try (NDManager nd = NDManager.newBaseManager(Device.cpu(), OnnxInterpreter.ENGINE);
                 InterpretedModel im = OnnxInterpreter.load(m, Device.cpu())) {
                NDArray in = nd.ones(new Shape(m == diagonal ? new long[] {3, 3} : new long[] {2, 3, 4}));
                assertThatThrownBy(() -> im.forward(new NDList(in))).isInstanceOf(UnsupportedOperatorException.class)
                        .hasMessageContaining("Einsum");
            }
        }
    }
}
