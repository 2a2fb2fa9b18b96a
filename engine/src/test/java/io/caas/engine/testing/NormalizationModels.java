package io.caas.engine.testing;

import static io.caas.engine.testing.OnnxModelBuilder.ints;
import static io.caas.engine.testing.OnnxModelBuilder.randomWeights;

import io.caas.engine.data.Dataset;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Small models holding the LayerNorm pattern PyTorch exports before opset 17 (ReduceMean, Sub, Pow, ReduceMean, Add,
 * Sqrt, Div, Mul, Add, as in all-MiniLM-L6-v2), and near misses of it.
 */
public final class NormalizationModels {

    /** How a model writes its normalisation. */
    public enum Form {
        /** The exported pattern exactly. */
        EXPORTED,
        /** Epsilon added after the square root: another function, must not run as LayerNorm. */
        EPSILON_AFTER_SQRT,
        /** The centred value is also a graph output: the pattern's intermediate is read outside it. */
        CENTRED_ALSO_OUTPUT
    }

    private NormalizationModels() {
    }

    /**
     * x [N, S, dim] → MatMul (dim × dim) → normalisation over the last axis → y [N, S, dim]; in
     * {@link Form#CENTRED_ALSO_OUTPUT} a second output "centred".
     */
    public static ModelProto projectionThenNorm(long seed, int dim, Form form) {
        SplittableRandom r = new SplittableRandom(seed);
        OnnxModelBuilder b = new OnnxModelBuilder("layernorm-" + form, 11)
                .input("x", -1, -1, dim)
                .initializer("w", randomWeights(r, dim * dim, dim), dim, dim)
                .node("MatMul", List.of("x", "w"), List.of("h"));
        layerNorm(b, r, "h", "y", dim, form);
        b.output("y", -1, -1, dim);
        if (form == Form.CENTRED_ALSO_OUTPUT) {
            b.output("ln_d", -1, -1, dim);
        }
        return b.build();
    }

    /**
     * Input ids for {@link #tokenModelWithNorm}: {@code n} samples of {@code seq} ids, each sample ids 1..vocab-1 for
     * a random length of 2 to seq, then padded with id 0; no labels.
     */
    public static Dataset tokenIds(int n, int vocab, int seq, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] ids = new float[n * seq];
        for (int i = 0; i < n; i++) {
            int len = 2 + r.nextInt(seq - 1);
            for (int t = 0; t < len; t++) {
                ids[i * seq + t] = 1 + r.nextInt(vocab - 1);
            }
        }
        return new Dataset("ids", new long[] {seq}, ids, null, 0);
    }

    /**
     * A BERT-shaped token model: int64 input_ids and attention_mask [N, S]; the ids gathered from a vocab × dim
     * table plus a position table gathered by a constant index → exported LayerNorm → masked → MatMul + bias →
     * y [N, S, out].
     */
    public static ModelProto tokenModelWithNorm(long seed, int vocab, int seq, int dim, int out) {
        SplittableRandom r = new SplittableRandom(seed);
        long[] positions = new long[seq];
        for (int i = 0; i < seq; i++) {
            positions[i] = i;
        }
        OnnxModelBuilder b = new OnnxModelBuilder("tokens-ln", 11)
                .typedInput("input_ids", TensorProto.DataType.INT64_VALUE, -1, seq)
                .typedInput("attention_mask", TensorProto.DataType.INT64_VALUE, -1, seq)
                .initializer("word_embeddings", randomWeights(r, vocab * dim, 1), vocab, dim)
                .initializer("position_embeddings", randomWeights(r, seq * dim, 1), seq, dim)
                .int64Initializer("position_ids", positions, seq)
                .initializer("w", randomWeights(r, dim * out, dim), dim, out)
                .initializer("w_bias", randomWeights(r, out, 1), out)
                .node("Gather", List.of("word_embeddings", "input_ids"), List.of("e"))
                .node("Gather", List.of("position_embeddings", "position_ids"), List.of("p"))
                .node("Add", List.of("e", "p"), List.of("ep"));
        layerNorm(b, r, "ep", "n", dim, Form.EXPORTED);
        return b.node("Cast", List.of("attention_mask"), List.of("m"),
                        OnnxModelBuilder.integer("to", TensorProto.DataType.FLOAT_VALUE))
                .node("Unsqueeze", List.of("m"), List.of("m3"), ints("axes", 2))
                .node("Mul", List.of("n", "m3"), List.of("masked"))
                .node("MatMul", List.of("masked", "w"), List.of("h"))
                .node("Add", List.of("w_bias", "h"), List.of("y"))
                .output("y", -1, seq, out).build();
    }

    private static void layerNorm(OnnxModelBuilder b, SplittableRandom r, String x, String y, int dim, Form form) {
        float[] gamma = new float[dim];
        float[] beta = new float[dim];
        for (int i = 0; i < dim; i++) {
            gamma[i] = (float) (0.5 + r.nextDouble());
            beta[i] = (float) (r.nextDouble() - 0.5);
        }
        b.initializer("ln_gamma", gamma, dim).initializer("ln_beta", beta, dim)
                .constant("ln_two", new float[] {2f})
                .constant("ln_eps", new float[] {1e-12f})
                .node("ReduceMean", List.of(x), List.of("ln_mean"), ints("axes", -1))
                .node("Sub", List.of(x, "ln_mean"), List.of("ln_d"))
                .node("Pow", List.of("ln_d", "ln_two"), List.of("ln_sq"))
                .node("ReduceMean", List.of("ln_sq"), List.of("ln_var"), ints("axes", -1));
        if (form == Form.EPSILON_AFTER_SQRT) {
            b.node("Sqrt", List.of("ln_var"), List.of("ln_root"))
                    .node("Add", List.of("ln_root", "ln_eps"), List.of("ln_std"));
        } else {
            b.node("Add", List.of("ln_var", "ln_eps"), List.of("ln_vareps"))
                    .node("Sqrt", List.of("ln_vareps"), List.of("ln_std"));
        }
        b.node("Div", List.of("ln_d", "ln_std"), List.of("ln_norm"))
                .node("Mul", List.of("ln_norm", "ln_gamma"), List.of("ln_scaled"))
                .node("Add", List.of("ln_scaled", "ln_beta"), List.of(y));
    }
}
