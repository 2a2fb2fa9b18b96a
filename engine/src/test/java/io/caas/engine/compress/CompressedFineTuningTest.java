package io.caas.engine.compress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.caas.engine.data.Dataset;
import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.Weights;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import io.caas.engine.testing.NormalizationModels;
import io.caas.engine.train.EmbeddingUpdates;
import io.caas.engine.train.TrainableGroup;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** What a compressed model's fine-tuning trains: by default what the method wrote and the other layers. */
class CompressedFineTuningTest {

    private static final int VOCAB = 30;
    private static final int SEQ = 6;
    private static final int DIM = 8;
    private static final int OUT = 4;

    private static final ModelProto ORIGINAL = NormalizationModels.tokenModelWithNorm(1, VOCAB, SEQ, DIM, OUT);
    /** As a method would leave it: the projection "w" rewritten (here scaled), every other weight as it was. */
    private static final ModelProto COMPRESSED = scaled(ORIGINAL, "w", 0.8f);

    @Test
    void theMethodsWeightsAreTheOnesItWrote() {
        assertThat(CompressedFineTuning.written(ORIGINAL, COMPRESSED)).containsExactly("w");
    }

    @Test
    void byDefaultEmbeddingsAndNormalizationStayAsTheyWere() throws Exception {
        List<String> log = new ArrayList<>();
        ModelProto tuned = fineTune(null, log);
        assertThat(changed(COMPRESSED, tuned)).containsExactlyInAnyOrder("w", "w_bias");
        assertThat(log).contains("fine-tuning on the CPU: training 36 parameters in 2 weights (compressed 32 in 1, other 4 in 1); "
                + "frozen: normalization 16 in 2, embeddings 288 in 2");
    }

    @Test
    void whatTheBudgetNamesTrains() throws Exception {
        ModelProto tuned = fineTune(EnumSet.allOf(TrainableGroup.class), new ArrayList<>());
        assertThat(changed(COMPRESSED, tuned)).containsExactlyInAnyOrder("w", "w_bias", "word_embeddings",
                "position_embeddings", "ln_gamma", "ln_beta");
        tuned = fineTune(EnumSet.of(TrainableGroup.COMPRESSED), new ArrayList<>());
        assertThat(changed(COMPRESSED, tuned)).containsExactly("w");
    }

    @Test
    void sparseEmbeddingUpdatesTrainTheTablesByRowsSayingSo() throws Exception {
        List<String> log = new ArrayList<>();
        ModelProto tuned = new CompressedFineTuning(8, 1e-2, 1, 1, 0, 1, Set.of(), false).run(ORIGINAL, COMPRESSED,
                task(new TrainingBudget(null, null, null, null, EnumSet.allOf(TrainableGroup.class),
                        EmbeddingUpdates.SPARSE)), listener(log), new LinkedHashMap<>());
        assertThat(changed(COMPRESSED, tuned)).containsExactlyInAnyOrder("w", "w_bias", "word_embeddings",
                "position_embeddings", "ln_gamma", "ln_beta");
        assertThat(log).anyMatch(m -> m.startsWith("fine-tuning: sparse embedding updates: only the rows each batch "
                + "reads") && m.contains("word_embeddings") && m.contains("position_embeddings"));
    }

    @Test
    void sparseEmbeddingUpdatesWithoutTrainedEmbeddingsAreRefused() {
        assertThatThrownBy(() -> new TrainingBudget(null, null, null, null, null, EmbeddingUpdates.SPARSE)
                .resolve(8, 1e-2, 1)).isInstanceOf(InvalidParametersException.class)
                .hasMessageContaining("add embeddings to train");
        assertThat(new TrainingBudget(null, null, null, null, Set.of(TrainableGroup.EMBEDDINGS),
                EmbeddingUpdates.SPARSE).resolve(8, 1e-2, 1).embeddingUpdates()).isEqualTo(EmbeddingUpdates.SPARSE);
        assertThat(TrainingBudget.DEFAULTS.resolve(8, 1e-2, 1).embeddingUpdates()).isEqualTo(EmbeddingUpdates.DENSE);
    }

    @Test
    void nothingToTrainSkipsFineTuningSayingSo() throws Exception {
        List<String> log = new ArrayList<>();
        ModelProto same = new CompressedFineTuning(8, 1e-2, 1, 1, 0, 1, Set.of(), false).run(ORIGINAL, ORIGINAL,
                task(EnumSet.of(TrainableGroup.COMPRESSED)), listener(log), new LinkedHashMap<>());
        assertThat(same).isSameAs(ORIGINAL);
        assertThat(log).anyMatch(m -> m.startsWith("fine-tuning skipped: nothing to train"));
    }

    /**
     * With labels that disagree with the original (every sample labelled class 0), distillation still fits the
     * original's class scores, moving the compressed model back towards them, while fitting the labels pulls it away.
     */
    @Test
    void distillationFitsTheOriginalsScoresWhereLabelsPullElsewhere() throws Exception {
        ModelProto original = io.caas.engine.testing.OnnxModelBuilder.gemmMlp(3, 8, 16, OUT);
        ModelProto compressed = scaled(original, "w0", 0.5f);
        SplittableRandom r = new SplittableRandom(9);
        int n = 64;
        float[] x = new float[n * 8];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        Dataset zeros = new Dataset("gaussian", new long[] {8}, x, new int[n], OUT);
        CompressionTask task = new CompressionTask(compressed, Map.of(), Optional.of(zeros), Optional.empty(),
                new TrainingBudget(5, null, null, null));
        List<String> log = new ArrayList<>();
        ModelProto distilled = new CompressedFineTuning(8, 1e-2, 5, 1, 0, 1, Set.of(), true).run(original,
                compressed, task, listener(log), new LinkedHashMap<>());
        ModelProto byLabels = new CompressedFineTuning(8, 1e-2, 5, 1, 0, 1, Set.of(), false).run(original,
                compressed, task, listener(new ArrayList<>()), new LinkedHashMap<>());

        var options = io.caas.engine.eval.EvaluationOptions.defaults().withBatchSize(8);
        double before = io.caas.engine.eval.Evaluator.compare(original, compressed, Optional.of(zeros), options)
                .meanRelativeError();
        double afterDistil = io.caas.engine.eval.Evaluator.compare(original, distilled, Optional.of(zeros), options)
                .meanRelativeError();
        double afterLabels = io.caas.engine.eval.Evaluator.compare(original, byLabels, Optional.of(zeros), options)
                .meanRelativeError();
        assertThat(afterDistil).as("distilled: nearer the original than the compressed model was").isLessThan(before);
        assertThat(afterLabels).as("fitted to labels the original disagrees with").isGreaterThan(afterDistil);
        assertThat(log).anyMatch(m -> m.contains("distilling the original's class scores (KL divergence at "
                + "temperature 2)"));
    }

    private static ModelProto fineTune(Set<TrainableGroup> train, List<String> log) throws InterruptedException {
        return new CompressedFineTuning(8, 1e-2, 1, 1, 0, 1, Set.of(), false).run(ORIGINAL, COMPRESSED, task(train),
                listener(log), new LinkedHashMap<>());
    }

    private static CompressionTask task(Set<TrainableGroup> train) {
        return task(new TrainingBudget(null, null, null, null, train));
    }

    private static CompressionTask task(TrainingBudget budget) {
        return new CompressionTask(COMPRESSED, Map.of(), Optional.of(NormalizationModels.tokenIds(32, VOCAB, SEQ, 5)),
                Optional.empty(), budget);
    }

    private static ProgressListener listener(List<String> log) {
        return (fraction, message) -> log.add(message);
    }

    private static List<String> changed(ModelProto before, ModelProto after) {
        Map<String, TensorProto> a = Weights.of(before.getGraph()).all();
        List<String> out = new ArrayList<>();
        Weights.of(after.getGraph()).all().forEach((name, t) -> {
            if (Tensors.isFloating(t) && !java.util.Arrays.equals(Tensors.toFloats(t), Tensors.toFloats(a.get(name)))) {
                out.add(name);
            }
        });
        return out;
    }

    private static ModelProto scaled(ModelProto model, String weight, float factor) {
        GraphProto.Builder g = model.getGraph().toBuilder();
        for (int i = 0; i < g.getInitializerCount(); i++) {
            TensorProto t = g.getInitializer(i);
            if (t.getName().equals(weight)) {
                float[] v = Tensors.toFloats(t);
                for (int k = 0; k < v.length; k++) {
                    v[k] *= factor;
                }
                g.setInitializer(i, Tensors.floatTensor(weight, v, t.getDimsList().stream().mapToLong(Long::longValue)
                        .toArray()));
            }
        }
        return model.toBuilder().setGraph(g).build();
    }
}
