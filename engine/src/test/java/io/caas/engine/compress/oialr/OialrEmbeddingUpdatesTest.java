package io.caas.engine.compress.oialr;

import static org.assertj.core.api.Assertions.assertThat;

import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.compress.TrainingBudget;
import io.caas.engine.data.Dataset;
import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.Weights;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.testing.NormalizationModels;
import io.caas.engine.train.EmbeddingUpdates;
import io.caas.engine.train.TrainableGroup;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** oialr's distillation honours budget.embeddingUpdates, and its log says which tables update by rows. */
class OialrEmbeddingUpdatesTest {

    private static final int VOCAB = 40;
    private static final int SEQ = 6;
    private static final int DIM = 24;

    @Test
    void sparseEmbeddingUpdatesTrainTheTablesByRowsAndTheLogSaysSo() throws Exception {
        ModelProto model = NormalizationModels.tokenModelWithNorm(1, VOCAB, SEQ, DIM, DIM);
        SplittableRandom r = new SplittableRandom(2);
        float[] ids = new float[32 * SEQ];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = 1 + r.nextInt(VOCAB / 2); // rows VOCAB/2 and up are never read
        }
        Dataset data = new Dataset("ids", new long[] {SEQ}, ids, null, 0);
        List<String> log = new ArrayList<>();
        TrainingBudget budget = new TrainingBudget(null, 20L, 8, 1e-2, EnumSet.allOf(TrainableGroup.class),
                EmbeddingUpdates.SPARSE);
        CompressionResult result = new OialrMethod().compress(new CompressionTask(model, Map.of("frequency", 10, "skipFirstAndLast", false),
                Optional.of(data), Optional.empty(), budget), (fraction, message) -> log.add(message));

        assertThat(log).anyMatch(m -> m.equals("sparse embedding updates: only the rows each batch reads, of "
                + "word_embeddings, position_embeddings") || m.equals("sparse embedding updates: only the rows each "
                + "batch reads, of position_embeddings, word_embeddings"));
        float[] before = Tensors.toFloats(Weights.of(model.getGraph()).all().get("word_embeddings"));
        float[] after = Tensors.toFloats(Weights.of(result.compressed().getGraph()).all().get("word_embeddings"));
        int changedRead = 0;
        for (int i = 0; i < before.length; i++) {
            if (i / DIM >= VOCAB / 2 + 1) {
                assertThat(after[i]).as("an unread row's entry %d", i).isEqualTo(before[i]);
            } else if (after[i] != before[i]) {
                changedRead++;
            }
        }
        assertThat(changedRead).as("entries of rows the batches read that trained").isGreaterThan(DIM);
    }

    @Test
    void withoutTheSwitchNoTableIsSaidToGoByRows() throws Exception {
        ModelProto model = NormalizationModels.tokenModelWithNorm(1, VOCAB, SEQ, DIM, DIM);
        float[] ids = new float[16 * SEQ];
        java.util.Arrays.fill(ids, 3f);
        List<String> log = new ArrayList<>();
        new OialrMethod().compress(new CompressionTask(model, Map.of("frequency", 10, "skipFirstAndLast", false), Optional.of(new Dataset("ids",
                new long[] {SEQ}, ids, null, 0)), Optional.empty(), new TrainingBudget(null, 10L, 8, 1e-2,
                EnumSet.allOf(TrainableGroup.class))), (fraction, message) -> log.add(message));
        assertThat(log).noneMatch(m -> m.contains("sparse embedding updates"));
    }
}
