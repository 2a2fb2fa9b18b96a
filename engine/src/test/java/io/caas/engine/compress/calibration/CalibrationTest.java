package io.caas.engine.compress.calibration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.caas.engine.data.Dataset;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import io.caas.engine.testing.OnnxModelBuilder;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The moments the interpreter sums are those of the rows a layer multiplies by its weight, checked by hand. */
class CalibrationTest {

    private static final int C = 2;
    private static final int SIZE = 6;

    @Test
    void convPatchesAndDenseInputsGiveTheirGramMatrices() throws InterruptedException {
        SplittableRandom random = new SplittableRandom(7);
        ModelProto model = new OnnxModelBuilder("probe", 13).input("x", -1, C, SIZE, SIZE)
                .initializer("c.w", OnnxModelBuilder.randomWeights(random, 3 * C * 9, C * 9), 3, C, 3, 3)
                .node("Conv", List.of("x", "c.w"), List.of("c"), OnnxModelBuilder.ints("kernel_shape", 3, 3),
                        OnnxModelBuilder.ints("strides", 2, 2), OnnxModelBuilder.ints("pads", 1, 1, 1, 1))
                .node("Flatten", List.of("x"), List.of("f"), OnnxModelBuilder.integer("axis", 1))
                .initializer("g.w", OnnxModelBuilder.randomWeights(random, 4 * C * SIZE * SIZE, C * SIZE * SIZE), 4,
                        C * SIZE * SIZE)
                .node("Gemm", List.of("f", "g.w"), List.of("y"), OnnxModelBuilder.integer("transB", 1))
                .output("y", -1, 4).output("c", -1, 3, 3, 3).build();
        int samples = 70;
        float[] x = new float[samples * C * SIZE * SIZE];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        Dataset data = new Dataset("random", new long[] {C, SIZE, SIZE}, x, null, 0);
        NodeProto conv = model.getGraph().getNode(0);
        NodeProto gemm = model.getGraph().getNode(2);
        List<LayerProbe> probes = List.of(
                LayerProbe.of("conv", conv, List.of(3L, (long) C, 3L, 3L), C * 9),
                LayerProbe.of("gemm", gemm, List.of(4L, (long) C * SIZE * SIZE), C * SIZE * SIZE));

        Calibration calibration = Calibration.of(data, 50, 11);
        List<LayerInputs> inputs = calibration.inputs(model, probes);

        int[] chosen = calibration.sampleIndices();
        assertThat(chosen).hasSize(50).doesNotHaveDuplicates().isSorted();
        assertThat(Calibration.of(data, 50, 11).sampleIndices()).containsExactly(chosen);
        double[] patchGram = new double[C * 9 * C * 9];
        double[] flatGram = new double[(C * SIZE * SIZE) * (C * SIZE * SIZE)];
        long patchRows = 0;
        for (int n : chosen) {
            int base = n * C * SIZE * SIZE;
            for (int oy = 0; oy < 3; oy++) {
                for (int ox = 0; ox < 3; ox++) {
                    double[] row = new double[C * 9];
                    for (int c = 0; c < C; c++) {
                        for (int ky = 0; ky < 3; ky++) {
                            for (int kx = 0; kx < 3; kx++) {
                                int iy = oy * 2 - 1 + ky;
                                int ix = ox * 2 - 1 + kx;
                                if (iy >= 0 && iy < SIZE && ix >= 0 && ix < SIZE) {
                                    row[c * 9 + ky * 3 + kx] = x[base + (c * SIZE + iy) * SIZE + ix];
                                }
                            }
                        }
                    }
                    accumulate(patchGram, row);
                    patchRows++;
                }
            }
            double[] flat = new double[C * SIZE * SIZE];
            for (int i = 0; i < flat.length; i++) {
                flat[i] = x[base + i];
            }
            accumulate(flatGram, flat);
        }
        assertThat(inputs.get(0).rows()).isEqualTo(patchRows);
        assertClose(inputs.get(0).gram(), patchGram);
        assertThat(inputs.get(1).rows()).isEqualTo(50);
        assertClose(inputs.get(1).gram(), flatGram);

        // the same model on both sides: the cross moment is the Gram matrix
        List<LayerInputs> paired = calibration.pairedInputs(model, model, probes);
        assertClose(paired.get(0).cross(), patchGram);
        assertClose(paired.get(1).gram(), flatGram);
    }

    @Test
    void aTokenModelsPaddingPositionsAreLeftOut() throws InterruptedException {
        int vocab = 9;
        int dim = 3;
        SplittableRandom random = new SplittableRandom(5);
        float[] emb = OnnxModelBuilder.randomWeights(random, vocab * dim, 1);
        ModelProto model = tokenModel(emb, OnnxModelBuilder.randomWeights(random, dim * 2, dim), 1f);
        int samples = 40;
        int seq = 6;
        float[] ids = paddedSentences(random, samples, seq, vocab);
        Dataset data = new Dataset("sentences", new long[] {seq}, ids, null, 0);
        List<LayerProbe> probes = List.of(LayerProbe.of("matmul", model.getGraph().getNode(1), List.of(
                (long) dim, 2L), dim));

        LayerInputs inputs = Calibration.of(data, samples, 1).inputs(model, probes).get(0);

        double[] gram = new double[dim * dim];
        long tokens = 0;
        for (float id : ids) {
            if (id != 0) {
                double[] row = new double[dim];
                for (int k = 0; k < dim; k++) {
                    row[k] = emb[(int) id * dim + k];
                }
                accumulate(gram, row);
                tokens++;
            }
        }
        assertThat(inputs.rows()).isEqualTo(tokens).isLessThan((long) samples * seq);
        assertClose(inputs.gram(), gram);
    }

    @Test
    void outputErrorsAreRelativeToTheOriginalsOutputAndLeavePaddingOut() throws InterruptedException {
        int vocab = 9;
        int dim = 3;
        SplittableRandom random = new SplittableRandom(6);
        float[] emb = OnnxModelBuilder.randomWeights(random, vocab * dim, 1);
        float[] w = OnnxModelBuilder.randomWeights(random, dim * 2, dim);
        // id 0, the padding, embeds to (5, 5, 5), far from the others
        for (int k = 0; k < dim; k++) {
            emb[k] = 5;
        }
        int samples = 30;
        int seq = 6;
        float[] ids = paddedSentences(random, samples, seq, vocab);
        Dataset data = new Dataset("sentences", new long[] {seq}, ids, null, 0);
        ModelProto original = tokenModel(emb, w, 1f);
        // y·1.1 is 10 % off everywhere, so its relative squared error is 0.01; a shift of the padding's embedding
        // alone changes no real token's output
        float[] movedPadding = emb.clone();
        for (int k = 0; k < dim; k++) {
            movedPadding[k] = -7;
        }
        Calibration calibration = Calibration.of(data, samples, 2);
        double[] errors = calibration.outputErrors(original, List.of(() -> original,
                () -> tokenModel(emb, w, 1.1f), () -> tokenModel(movedPadding, w, 1f)));

        assertThat(errors[0]).isZero();
        assertThat(errors[1]).isCloseTo(0.01, within(1e-6));
        assertThat(errors[2]).isZero();
    }

    @Test
    void aLimitSpreadsOverTheDrawRatherThanTakingItsFirstSamples() {
        Dataset data = new Dataset("counting", new long[] {1}, new float[1000], null, 0);
        Calibration all = Calibration.of(data, 1000, 3);
        int[] kept = all.limit(10).sampleIndices();

        assertThat(kept).hasSize(10).isSorted();
        assertThat(kept[0]).isZero();
        assertThat(kept[9]).isEqualTo(900);
        assertThat(all.limit(2000)).isSameAs(all);
    }

    /** Sentences of 1 to {@code seq} tokens (ids 1 to vocab − 1), padded with id 0 to {@code seq}. */
    @Test
    void outputGramsAreHowMuchEachLayersOutputMovesTheModelsOutput() throws InterruptedException {
        SplittableRandom random = new SplittableRandom(8);
        float[] a = OnnxModelBuilder.randomWeights(random, 5 * 6, 5);
        float[] b = OnnxModelBuilder.randomWeights(random, 6 * 3, 6);
        // a side branch that only the second output reads: the first output does not depend on it at all
        ModelProto model = new OnnxModelBuilder("chain", 13).input("x", -1, 5)
                .initializer("a", a, 5, 6)
                .initializer("b", b, 6, 3)
                .initializer("c", OnnxModelBuilder.randomWeights(random, 6 * 2, 6), 6, 2)
                .node("MatMul", List.of("x", "a"), List.of("h"))
                .node("MatMul", List.of("h", "b"), List.of("z"))
                .node("MatMul", List.of("h", "c"), List.of("side"))
                .output("z", -1, 3).output("side", -1, 2).build();
        float[] x = new float[400 * 5];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        Dataset data = new Dataset("random", new long[] {5}, x, null, 0);
        List<OutputProbe> probes = List.of(
                OutputProbe.of("first", model.getGraph().getNode(0), 6),
                OutputProbe.of("second", model.getGraph().getNode(1), 3),
                OutputProbe.of("side", model.getGraph().getNode(2), 2));

        Calibration calibration = Calibration.of(data, 400, 3);
        List<double[]> grams = calibration.outputGrams(model, probes, 4);

        // z = h·B, so the Jacobian at h is Bᵀ and JᵀJ = B·Bᵀ; at z itself it is I; the projections only estimate
        // them (1,600 draws), so they are compared within a few per cent
        double[] bbt = new double[36];
        for (int i = 0; i < 6; i++) {
            for (int j = 0; j < 6; j++) {
                for (int k = 0; k < 3; k++) {
                    bbt[i * 6 + j] += (double) b[i * 3 + k] * b[j * 3 + k];
                }
            }
        }
        assertThat(relativeDistance(grams.get(0), bbt)).isLessThan(0.1);
        assertThat(relativeDistance(grams.get(1), new double[] {1, 0, 0, 0, 1, 0, 0, 0, 1})).isLessThan(0.1);
        assertThat(grams.get(2)).as("a layer the first output does not read").isNull();
        // seeded: the same job measures the same
        assertThat(calibration.outputGrams(model, probes, 4).get(0)).containsExactly(grams.get(0));
    }

    private static double relativeDistance(double[] actual, double[] expected) {
        double d = 0;
        double e = 0;
        for (int i = 0; i < expected.length; i++) {
            d += (actual[i] - expected[i]) * (actual[i] - expected[i]);
            e += expected[i] * expected[i];
        }
        return Math.sqrt(d / e);
    }

    private static float[] paddedSentences(SplittableRandom random, int samples, int seq, int vocab) {
        float[] ids = new float[samples * seq];
        for (int n = 0; n < samples; n++) {
            for (int t = 0; t < 1 + n % seq; t++) {
                ids[n * seq + t] = 1 + random.nextInt(vocab - 1);
            }
        }
        return ids;
    }

    /**
     * Token ids → embedding → MatMul (node 1) → times {@code scale}, with the attention mask as second input.
     */
    private static ModelProto tokenModel(float[] emb, float[] w, float scale) {
        int dim = 3;
        return new OnnxModelBuilder("tokens", 13)
                .typedInput("input_ids", TensorProto.DataType.INT64_VALUE, -1, -1)
                .typedInput("attention_mask", TensorProto.DataType.INT64_VALUE, -1, -1)
                .initializer("emb", emb, emb.length / dim, dim)
                .initializer("w", w, dim, 2)
                .initializer("scale", new float[] {scale})
                .node("Gather", List.of("emb", "input_ids"), List.of("e"))
                .node("MatMul", List.of("e", "w"), List.of("m"))
                .node("Mul", List.of("m", "scale"), List.of("y"))
                .output("y", -1, -1, 2).build();
    }

    private static void accumulate(double[] gram, double[] row) {
        int n = row.length;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                gram[i * n + j] += row[i] * row[j];
            }
        }
    }

    private static void assertClose(double[] actual, double[] expected) {
        double scale = 0;
        for (double v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).as("element %d", i).isCloseTo(expected[i], within(1e-5 * scale));
        }
    }
}
