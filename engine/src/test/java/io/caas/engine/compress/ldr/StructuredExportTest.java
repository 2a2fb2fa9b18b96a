package io.caas.engine.compress.ldr;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.LayerReport;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.data.Dataset;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import io.caas.engine.runtime.InterpretedModel;
import io.caas.engine.runtime.OnnxInterpreter;
import io.caas.engine.testing.FashionMnistModels;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The exported structured model against two references on real Fashion-MNIST images: the same model in the engine's
 * interpreter, and, in ONNX Runtime, the original model with each replaced weight set to the dense matrix that the
 * file's generators stand for (assembled in Java from {@link Generators#dense()}, not by the graph). Shapes cover
 * input-side padding (784×64, 100×10) and output-side padding (64×100).
 */
class StructuredExportTest {

    private static final int SAMPLES = 200;
    private static final List<String> LAYERS = List.of("gemm_1", "gemm_3", "gemm_5");

    private static Dataset images;
    private static ModelProto mlp;

    @BeforeAll
    static void trainSmallMlp() throws InterruptedException {
        Dataset train = FashionMnistModels.slice(FashionMnistModels.load(true), 0, 3_000, true);
        images = FashionMnistModels.slice(FashionMnistModels.load(false), 0, SAMPLES, true);
        mlp = FashionMnistModels.train(FashionMnistModels.mlp(3, 64, 100), train, 1e-3f, 64, 100);
    }

    @ParameterizedTest
    @EnumSource(Product.class)
    void toeplitzLikeExportMatchesTheDenseWeightItStandsForInOnnxRuntimeAndTheInterpreter(Product product)
            throws Exception {
        CompressionResult result = compress(Map.of("layers", LAYERS, "displacementRank", 3, "apply",
                product.wireName()));
        ModelProto exported = result.compressed();
        assertStoresOnlyGenerators(exported, result.layers());
        assertForm(exported, result.layers(), product);
        assertThat(result.layers()).extracting(LayerReport::parametersAfter)
                .containsExactly(13L * 2 * 3 * 64, 2L * 2 * 3 * 64, 10L * 2 * 3 * 10);
        assertThat(result.layers().get(0).note()).contains("784x64 padded to 832x64, 13 blocks of 64x64");
        assertThat(result.layers().get(1).note()).contains("64x100 padded to 64x128, 2 blocks of 64x64");
        assertThat(ModelInspector.inspect(exported).parameters())
                .isEqualTo(13L * 384 + 64 + 2L * 384 + 100 + 10L * 60 + 10);
        ModelProto amplified = amplified(exported, 10); // see circulantExportMatchesToo
        assertAgree(amplified, denseEquivalent(amplified));
    }

    @ParameterizedTest
    @EnumSource(Product.class)
    void circulantExportMatchesToo(Product product) throws Exception {
        CompressionResult result = compress(Map.of("layers", LAYERS, "structure", "circulant", "apply",
                product.wireName()));
        assertStoresOnlyGenerators(result.compressed(), result.layers());
        assertForm(result.compressed(), result.layers(), product);
        assertThat(result.layers()).extracting(LayerReport::parametersAfter).containsExactly(13L * 64, 2L * 64, 10L * 10);
        // the closed-form fit of an unstructured weight is small (each diagonal averages out), so the outputs would
        // be little more than the biases: scale the generators up to make the weights matter
        ModelProto amplified = amplified(result.compressed(), 40);
        assertAgree(amplified, denseEquivalent(amplified));
    }

    private static CompressionResult compress(Map<String, Object> params) throws InterruptedException {
        CompressionResult result = new LdrMethod().compress(new CompressionTask(mlp, params, Optional.empty(),
                Optional.empty()), ProgressListener.NONE);
        result.layers().forEach(l -> System.out.printf("  %s %s: %d -> %d parameters, %s%n", l.node(),
                Arrays.toString(l.matrixShape()), l.parametersBefore(), l.parametersAfter(), l.note()));
        return result;
    }

    /**
     * The FFT form has DFT nodes and no MatMul built from generators, at opset 17 (the MLP was written at 13);
     * the dense form the opposite, at the model's own opset.
     */
    private static void assertForm(ModelProto exported, List<LayerReport> layers, Product product) {
        long dfts = exported.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("DFT")).count();
        long rebuilt = exported.getGraph().getNodeList().stream()
                .filter(n -> n.getName().contains("/ldr_") && n.getOpType().equals("MatMul")).count();
        if (product == Product.FOURIER) {
            assertThat(dfts).isGreaterThanOrEqualTo(2L * layers.size());
            assertThat(rebuilt).isZero();
            assertThat(ModelInspector.defaultOpset(exported)).isEqualTo(17);
            assertThat(layers).allSatisfy(l -> assertThat(l.note()).contains("exported with FFTs"));
        } else {
            assertThat(dfts).isZero();
            assertThat(ModelInspector.defaultOpset(exported)).isEqualTo(ModelInspector.defaultOpset(mlp));
            assertThat(layers).allSatisfy(l -> assertThat(l.note())
                    .contains("exported with the weight rebuilt in the graph"));
        }
    }

    /** Float initializers of the structured layers are the generators alone; int64 ones are short shape vectors. */
    private static void assertStoresOnlyGenerators(ModelProto exported, List<LayerReport> layers) {
        long generatorElements = 0;
        for (TensorProto t : exported.getGraph().getInitializerList()) {
            if (t.getName().contains("/ldr_")) {
                long count = Tensors.elementCount(t);
                if (t.getDataType() == TensorProto.DataType.INT64_VALUE) {
                    assertThat(count).as(t.getName()).isLessThanOrEqualTo(12);
                } else if (count > 1) {
                    generatorElements += count;
                }
            }
        }
        assertThat(generatorElements).isEqualTo(layers.stream().mapToLong(LayerReport::parametersAfter).sum());
        assertThat(exported.getGraph().getInitializerList()).extracting(TensorProto::getName)
                .doesNotContain("fc0.w", "fc1.w", "fc2.w");
    }

    /** The original MLP with each replaced Gemm weight set to Σ Z₁(g)·Z₋₁(h) per block, cut to the real shape. */
    private static ModelProto denseEquivalent(ModelProto exported) {
        ModelProto.Builder reference = mlp.toBuilder();
        int[][] shapes = {{784, 64}, {64, 100}, {100, 10}};
        for (int l = 0; l < 3; l++) {
            int in = shapes[l][0];
            int out = shapes[l][1];
            BlockLayout layout = BlockLayout.of(in, out);
            String node = LAYERS.get(l);
            TensorProto g = initializer(exported, node + "/ldr_g");
            TensorProto h = exported.getGraph().getInitializerList().stream()
                    .filter(t -> t.getName().equals(node + "/ldr_h")).findFirst().orElse(null);
            int r = Math.toIntExact(g.getDims(2));
            int n = layout.n();
            float[] gv = Tensors.toFloats(g);
            float[] hv = h == null ? null : Tensors.toFloats(h);
            float[] weight = new float[in * out]; // stored out × in, as the original (transB = 1)
            for (int a = 0; a < layout.p(); a++) {
                for (int b = 0; b < layout.q(); b++) {
                    int blk = a * layout.q() + b;
                    double[] m = new Generators(unreversed(gv, blk, r, n), hv == null ? null : unreversed(hv, blk, r, n))
                            .dense();
                    for (int i = 0; i < n && a * n + i < in; i++) {
                        for (int j = 0; j < n && b * n + j < out; j++) {
                            weight[(b * n + j) * in + a * n + i] = (float) m[i * n + j];
                        }
                    }
                }
            }
            String name = "fc" + l + ".w";
            for (int i = 0; i < reference.getGraph().getInitializerCount(); i++) {
                if (reference.getGraph().getInitializer(i).getName().equals(name)) {
                    reference.getGraphBuilder().setInitializer(i, Tensors.floatTensor(name, weight, out, in));
                }
            }
        }
        return reference.build();
    }

    private static ModelProto amplified(ModelProto model, float factor) {
        ModelProto.Builder b = model.toBuilder();
        for (int i = 0; i < b.getGraph().getInitializerCount(); i++) {
            TensorProto t = b.getGraph().getInitializer(i);
            if (t.getName().endsWith("/ldr_g")) {
                float[] v = Tensors.toFloats(t);
                for (int k = 0; k < v.length; k++) {
                    v[k] *= factor;
                }
                long[] dims = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
                b.getGraphBuilder().setInitializer(i, Tensors.floatTensor(t.getName(), v, dims));
            }
        }
        return b.build();
    }

    private static double[][] unreversed(float[] stored, int blk, int r, int n) {
        double[][] v = new double[r][n];
        for (int i = 0; i < r; i++) {
            for (int k = 0; k < n; k++) {
                v[i][k] = stored[(blk * r + i) * n + n - 1 - k];
            }
        }
        return v;
    }

    private static TensorProto initializer(ModelProto model, String name) {
        return model.getGraph().getInitializerList().stream().filter(t -> t.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no initializer " + name));
    }

    /** ≤ 1e-4 relative to the largest output, between all three. */
    static void assertAgree(ModelProto exported, ModelProto reference) {
        float[] ort = ort(exported, images, SAMPLES);
        float[] ref = ort(reference, images, SAMPLES);
        double scale = OrtOutputs.maxAbs(ref);
        System.out.printf("ldr export: max |ORT - dense reference| %.2e, max |output| %.2f%n",
                OrtOutputs.maxDiff(ort, ref), scale);
        assertThat(scale).isGreaterThan(1);
        assertThat(OrtOutputs.maxDiff(ort, ref) / scale).isLessThanOrEqualTo(1e-4);
        assertInterpreterMatchesOrt(exported, images, SAMPLES);
    }

    /** The interpreter's outputs within 1e-4 of ONNX Runtime's, relative to the largest, on the first images. */
    static void assertInterpreterMatchesOrt(ModelProto model, Dataset images, int samples) {
        float[] ort = ort(model, images, samples);
        float[] interp;
        try (InterpretedModel m = OnnxInterpreter.load(model, Device.cpu());
             NDManager nd = m.manager().newSubManager()) {
            NDArray input = nd.create(Arrays.copyOf(images.features(), samples * images.sampleElements()),
                    new Shape(samples, 1, 28, 28));
            interp = m.forward(new NDList(input)).head().toFloatArray();
        }
        System.out.printf("ldr export: max |interpreter - ORT| %.2e, max |output| %.2f%n",
                OrtOutputs.maxDiff(interp, ort), OrtOutputs.maxAbs(ort));
        assertThat(OrtOutputs.maxDiff(interp, ort) / OrtOutputs.maxAbs(ort)).isLessThanOrEqualTo(1e-4);
    }

    /** ONNX Runtime's outputs on the first images, flattened. */
    static float[] ort(ModelProto model, Dataset images, int samples) {
        return OrtOutputs.run(model, Arrays.copyOf(images.features(), samples * images.sampleElements()), samples,
                images.sampleShape());
    }
}
