package io.caas.engine.compress.oialr;

import static org.assertj.core.api.Assertions.assertThat;

import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.LayerReport;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.compress.TrainingBudget;
import io.caas.engine.data.Dataset;
import io.caas.engine.eval.EvaluationOptions;
import io.caas.engine.eval.Evaluator;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.Weights;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import io.caas.engine.testing.FixedSpeedCheck;
import io.caas.engine.testing.OrtVsInterpreter;
import io.caas.engine.testing.PyTorchExports;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * oialr on the torch.jit.script model PyTorch 1.13 exported (scripts/export-recurrent-models.sh): a Conv1d in the
 * then-branch of a data-dependent if (taken where the batch's mean is above 0), a Linear in its else-branch and a
 * Linear in a loop body that always runs. Each trains in low-rank form where it sits, gradients reaching it through
 * the branch taken and every iteration, and the exported model keeps its If and Loop.
 */
class OialrInsideSubgraphsTest {

    private static final long[] SAMPLE = {4, 8};
    private static final String WIDE = "/If[else_branch]/wide/Gemm";
    private static final String INNER = "/Loop[body]/inner/Gemm";
    /** The whole model at 2,263 parameters; this leaves the low-rank layers about 1,240 of their 2,096. */
    private static final int TARGET = 1400;

    @Test
    void theLayersOfTheBranchTakenAndOfTheLoopBodyTrainWhereTheySit() throws Exception {
        ModelProto model = scripted();
        CompressionResult r = oialr(model, -1);

        Map.of(WIDE, "/If[else_branch]", INNER, "/Loop[body]").forEach((node, subgraph) -> {
            LayerReport layer = layer(r, node);
            assertThat(layer.factorized()).as(layer.note()).isTrue();
            assertThat(layer.finalRank()).isLessThan(32);
            assertThat(layer.parametersAfter()).isEqualTo(layer.finalRank() * 64L);
            assertThat(layer.note()).contains("inside " + subgraph);
        });

        ModelProto compressed = r.compressed();
        assertThat(compressed.getGraph().getNodeList()).extracting(NodeProto::getOpType).contains("If", "Loop");
        long saved = r.layers().stream().mapToLong(l -> l.parametersBefore() - l.parametersAfter()).sum();
        assertThat(ModelInspector.inspect(compressed).parameters()).as("the factors replace the weights they stand for")
                .isEqualTo(ModelInspector.inspect(model).parameters() - saved).isLessThanOrEqualTo(TARGET);
        assertThat(compressed.getGraph().getInitializerList()).extracting(TensorProto::getName)
                .as("the outer weights nothing reads any more are gone").doesNotContain("wide.weight", "inner.weight");
        for (float shift : new float[] {1, -1}) {
            assertThat(OrtVsInterpreter.maxAbsDiff(compressed, SAMPLE, inputs(3, shift, 5), 3))
                    .as("both branches run in ONNX Runtime as in the interpreter").isLessThanOrEqualTo(1e-4);
        }
    }

    /**
     * A layer that took no part in training ends as the plain truncation of its weight at its final rank (its core
     * got no gradient, so re-orthogonalising only sorts its singular values); one that trained ends elsewhere. The
     * else-branch's Linear is the first where the data takes the then-branch, the second where it takes the
     * else-branch: this fails if gradients stop at the If. The loop body's Linear, run on every sample, trains in both.
     */
    @Test
    void gradientsReachALayerInsideTheBranchExactlyWhenItIsTaken() throws Exception {
        ModelProto model = scripted();
        CompressionResult thenTaken = oialr(model, 1);
        CompressionResult elseTaken = oialr(model, -1);

        assertThat(distanceFromPlainTruncation(model, thenTaken, WIDE, "wide.weight"))
                .as("else-branch not taken: untouched").isLessThan(1e-4);
        assertThat(distanceFromPlainTruncation(model, elseTaken, WIDE, "wide.weight"))
                .as("else-branch taken: trained").isGreaterThan(1e-2);
        assertThat(distanceFromPlainTruncation(model, thenTaken, INNER, "inner.weight"))
                .as("the loop body runs either way").isGreaterThan(1e-2);
    }

    /**
     * Under the speed check (onlyIfFaster, on by default) a layer inside a branch or loop body cannot be cut out and
     * timed alone; the whole model's timing decides for it: kept in two factors where the model is faster, written
     * back dense as the product of its trained factors (in the outer scope that holds its weight) where not.
     */
    @Test
    void underTheSpeedCheckTheWholeModelsTimingDecidesForLayersInsideSubgraphs() throws Exception {
        ModelProto model = scripted();
        for (boolean wholeFaster : new boolean[] {true, false}) {
            FixedSpeedCheck fixed = new FixedSpeedCheck(wholeFaster);
            Dataset data = new Dataset("shifted", SAMPLE, inputs(64, -1, 3), null, 0);
            OialrMethod.Outcome out = new OialrMethod(fixed.factory()).run(new CompressionTask(model,
                    Map.of("frequency", 5, "sigmaCutoff", 0.95), Optional.of(data), Optional.empty(),
                    new TrainingBudget(null, 10L, 16, 1e-3)), ProgressListener.NONE);

            assertThat(fixed.layersAsked).as("only main-graph layers are timed alone").allMatch(n -> !n.startsWith("/If[")
                    && !n.startsWith("/Loop["));
            LayerReport wide = layer(out.result(), WIDE);
            assertThat(wide.factorized()).as(wide.note()).isEqualTo(wholeFaster);
            assertThat(wide.note()).contains(wholeFaster ? "not timed alone" : "every layer was written back dense");
            assertThat(Evaluator.compare(out.finalFactorized(), out.result().compressed(), Optional.of(data),
                    EvaluationOptions.defaults().withBatchSize(64)).maxAbsDiff())
                    .as("the export computes what was trained, factorized or written back dense").isLessThan(1e-4);
        }
    }

    private static CompressionResult oialr(ModelProto model, float shift) throws InterruptedException {
        Dataset data = new Dataset("shifted", SAMPLE, inputs(64, shift, 3), null, 0);
        TrainingBudget budget = new TrainingBudget(null, 40L, 16, 1e-2);
        return new OialrMethod().compress(new CompressionTask(model, Map.of("targetParameters", TARGET,
                "frequency", 10), Optional.of(data), Optional.empty(), budget), ProgressListener.NONE);
    }

    /**
     * ‖A·B − W_r‖ / ‖W‖ for the layer's exported factors A·B and the best rank-r approximation W_r of its original
     * weight W (both in × out).
     */
    private static double distanceFromPlainTruncation(ModelProto original, CompressionResult r, String node,
                                                      String weight) {
        LayerReport layer = layer(r, node);
        assertThat(layer.factorized()).as(layer.note()).isTrue();
        int rank = (int) layer.finalRank();
        Weights after = Weights.inAllScopes(r.compressed().getGraph());
        float[] a = Tensors.toFloats(after.get(node + "/oialr_first_weight").orElseThrow());
        float[] b = Tensors.toFloats(after.get(node + "/oialr_second_weight").orElseThrow());
        float[] w = Tensors.toFloats(Weights.of(original.getGraph()).get(weight).orElseThrow()); // out × in (transB)
        int in = 32;
        int out = 32;
        double[] wt = new double[in * out];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                wt[i * out + o] = w[o * in + i];
            }
        }
        LowRankFactors plain = LowRankFactors.ofMatrix(wt, in, out);
        plain.truncate(rank);
        double[] expected = plain.product();
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < in; i++) {
            for (int o = 0; o < out; o++) {
                double ab = 0;
                for (int k = 0; k < rank; k++) {
                    ab += a[i * rank + k] * b[k * out + o];
                }
                diff += (ab - expected[i * out + o]) * (ab - expected[i * out + o]);
                norm += wt[i * out + o] * wt[i * out + o];
            }
        }
        return Math.sqrt(diff / norm);
    }

    private static LayerReport layer(CompressionResult r, String node) {
        return r.layers().stream().filter(l -> l.node().equals(node)).findFirst().orElseThrow(
                () -> new AssertionError(node + " not reported: " + r.layers().stream().map(LayerReport::node)
                        .toList()));
    }

    /** Gaussian samples around {@code shift}: above 0 the then-branch is taken, below it the else-branch. */
    private static float[] inputs(int samples, float shift, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[samples * 32];
        for (int i = 0; i < x.length; i++) {
            x[i] = shift + (float) rnd.nextDouble(-0.5, 0.5);
        }
        return x;
    }

    private static ModelProto scripted() throws Exception {
        return PyTorchExports.read("scripted-branches");
    }
}
