package io.caas.engine.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.data.Dataset;
import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.runtime.GatheredRows;
import io.caas.engine.runtime.InterpretedModel;
import io.caas.engine.runtime.OnnxGraph;
import io.caas.engine.runtime.OnnxInterpreter;
import io.caas.engine.testing.OnnxModelBuilder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/**
 * {@link EmbeddingUpdates#SPARSE}: tables read only through Gather train by rows (GatheredRows' leaves, lazy Adam in
 * DenormalSafeAdam), and train exactly as dense Adam does wherever lazy Adam's definition says they must.
 */
class SparseEmbeddingUpdatesTest {

    private static final int VOCAB = 40;
    private static final int POSITIONS = 8;
    private static final int SEQ = 4;
    private static final int DIM = 6;

    /**
     * ids [N, SEQ] (floats, as a dataset carries them) → [N, SEQ, 3]. The word table is read by two Gathers (the ids,
     * and the ids + 1, so rows repeat across reads and within a batch); the position table by constant indices that
     * include negative ones and two names of one row (-1 and POSITIONS - 1).
     */
    static ModelProto model(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        return new OnnxModelBuilder("two-tables", 13)
                .input("ids", -1, SEQ)
                .initializer("words", OnnxModelBuilder.randomWeights(r, VOCAB * DIM, 1), VOCAB, DIM)
                .initializer("positions", OnnxModelBuilder.randomWeights(r, POSITIONS * DIM, 1), POSITIONS, DIM)
                .int64Initializer("position_ids", new long[] {-1, 0, POSITIONS - 1, -3}, SEQ)
                .initializer("one", new float[] {1f}, 1)
                .initializer("w", OnnxModelBuilder.randomWeights(r, DIM * 3, DIM), DIM, 3)
                .node("Gather", List.of("words", "ids"), List.of("e1"))
                .node("Add", List.of("ids", "one"), List.of("next"))
                .node("Gather", List.of("words", "next"), List.of("e2"))
                .node("Gather", List.of("positions", "position_ids"), List.of("p"))
                .node("Add", List.of("e1", "e2"), List.of("e"))
                .node("Add", List.of("e", "p"), List.of("h"))
                .node("Tanh", List.of("h"), List.of("t"))
                .node("MatMul", List.of("t", "w"), List.of("y"))
                .output("y", -1, SEQ, 3).build();
    }

    /** n samples of SEQ ids drawn from [from, to). */
    static Dataset ids(int n, int from, int to, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] f = new float[n * SEQ];
        for (int i = 0; i < f.length; i++) {
            f[i] = from + r.nextInt(to - from);
        }
        return new Dataset("ids", new long[] {SEQ}, f, null, 0);
    }

    /** Every weight of the student after training from model(2) towards model(1), by name. */
    private static Map<String, float[]> trained(Dataset data, int batch, long steps, EmbeddingUpdates updates,
                                                List<String> messages) throws InterruptedException {
        try (InterpretedModel teacher = OnnxInterpreter.load(model(1), Device.cpu());
             InterpretedModel student = OnnxInterpreter.load(model(2), Device.cpu())) {
            FineTuner.train(student, data, teacher, TrainingConfig.adam(1e-2f, batch, 100).withMaxSteps(steps)
                    .withObjective(TrainingConfig.Objective.MSE).withEmbeddingUpdates(updates), new ProgressListener() {
                        @Override
                        public void progress(double fraction, String message) {
                            messages.add(message);
                        }
                    });
            Map<String, float[]> out = new TreeMap<>();
            student.block().weightParameters().forEach((name, p) -> {
                assertThat(p.requiresGradient()).as(name + " trainable again after the run").isTrue();
                out.put(name, p.getArray().toFloatArray());
            });
            return out;
        }
    }

    /** A weight of model(2), where every student starts. */
    private static float[] initial(String name) {
        return Tensors.toFloats(model(2).getGraph().getInitializerList().stream()
                .filter(t -> t.getName().equals(name)).findFirst().orElseThrow());
    }

    private static float[] row(float[] table, int row) {
        float[] out = new float[DIM];
        System.arraycopy(table, row * DIM, out, 0, DIM);
        return out;
    }

    private static void assertClose(Map<String, float[]> actual, Map<String, float[]> expected) {
        assertThat(actual.keySet()).isEqualTo(expected.keySet());
        expected.forEach((name, e) -> {
            float[] a = actual.get(name);
            for (int i = 0; i < e.length; i++) {
                assertThat((double) a[i]).as(name + "[" + i + "]").isCloseTo(e[i],
                        Offset.offset(1e-6 + 1e-5 * Math.abs(e[i])));
            }
        });
    }

    @Test
    void choosesTheTablesReadOnlyThroughGatherAlongTheirFirstAxis() {
        OnnxGraph graph = OnnxGraph.of(model(1));
        assertThat(GatheredRows.eligible(graph)).containsExactlyInAnyOrder("words", "positions");

        SplittableRandom r = new SplittableRandom(1);
        ModelProto tiedAndSideways = new OnnxModelBuilder("tied", 13)
                .input("ids", -1, SEQ)
                .initializer("tied", OnnxModelBuilder.randomWeights(r, VOCAB * DIM, 1), VOCAB, DIM)
                .initializer("sideways", OnnxModelBuilder.randomWeights(r, DIM * VOCAB, 1), DIM, VOCAB)
                .initializer("rows", OnnxModelBuilder.randomWeights(r, VOCAB * DIM, 1), VOCAB, DIM)
                .node("Gather", List.of("tied", "ids"), List.of("e"))
                .node("MatMul", List.of("e", "sideways"), List.of("logits"))
                .node("Gather", List.of("sideways", "ids"), List.of("s"), OnnxModelBuilder.integer("axis", 1))
                .node("Gather", List.of("rows", "ids"), List.of("g"), OnnxModelBuilder.integer("axis", -2))
                .node("Transpose", List.of("tied"), List.of("tiedT"))
                .output("logits", -1, SEQ, VOCAB).output("s", DIM, -1, SEQ).output("g", -1, SEQ, DIM)
                .output("tiedT", DIM, VOCAB).build();
        // "tied" is also transposed, "sideways" also multiplied and gathered along axis 1; axis -2 of a rank-2
        // table is its first
        assertThat(GatheredRows.eligible(OnnxGraph.of(tiedAndSideways))).containsExactly("rows");
    }

    @Test
    void aFirstStepIsDenseAdamsStep() throws Exception {
        // The moments start at zero, so a row no batch read gets a zero update from dense Adam too: after one step
        // both agree on every weight, which checks the rows' gradients (two reads, repeated and negative indices).
        Dataset data = ids(16, 1, VOCAB - 1, 7);
        List<String> messages = new ArrayList<>();
        Map<String, float[]> sparse = trained(data, 16, 1, EmbeddingUpdates.SPARSE, messages);
        Map<String, float[]> dense = trained(data, 16, 1, EmbeddingUpdates.DENSE, new ArrayList<>());
        assertClose(sparse, dense);
        assertThat(messages).anyMatch(m -> m.startsWith("sparse embedding updates: only the rows each batch reads")
                && m.contains("words") && m.contains("positions"));
        float[] start = initial("words");
        assertThat(row(sparse.get("words"), 0)).as("row 0 is read by no batch").isEqualTo(row(start, 0));
        assertThat(sparse.get("words")).isNotEqualTo(start);
    }

    @Test
    void batchesThatReadTheSameRowsTrainAsDenseAdamStepAfterStep() throws Exception {
        // Every step reads the same rows (one batch is the whole data set): lazy Adam's moments and bias correction
        // then follow dense Adam's exactly, and the rows never read keep zero moments in both.
        Dataset data = ids(8, 5, 25, 3);
        Map<String, float[]> sparse = trained(data, 8, 12, EmbeddingUpdates.SPARSE, new ArrayList<>());
        Map<String, float[]> dense = trained(data, 8, 12, EmbeddingUpdates.DENSE, new ArrayList<>());
        assertClose(sparse, dense);
    }

    @Test
    void rowsOutsideTheBatchStayAsTheyWere() throws Exception {
        // Two samples with disjoint ids, one per step: the rows the first step trained are not read by the second.
        float[] f = new float[2 * SEQ];
        for (int i = 0; i < SEQ; i++) {
            f[i] = 2 + i;          // rows 2..5 and, through ids + 1, 3..6
            f[SEQ + i] = 20 + i;   // rows 20..24
        }
        Dataset data = new Dataset("two", new long[] {SEQ}, f, null, 0);
        Map<String, float[]> one = trained(data, 1, 1, EmbeddingUpdates.SPARSE, new ArrayList<>());
        Map<String, float[]> twoSparse = trained(data, 1, 2, EmbeddingUpdates.SPARSE, new ArrayList<>());
        Map<String, float[]> twoDense = trained(data, 1, 2, EmbeddingUpdates.DENSE, new ArrayList<>());
        float[] start = initial("words");
        List<Integer> firstRows = new ArrayList<>();
        for (int row = 0; row < VOCAB; row++) {
            if (!Arrays.equals(row(one.get("words"), row), row(start, row))) {
                firstRows.add(row);
            }
        }
        assertThat(firstRows).as("the first step's rows").isIn(List.of(2, 3, 4, 5, 6), List.of(20, 21, 22, 23, 24));
        for (int row : firstRows) {
            assertThat(row(twoSparse.get("words"), row)).as("row " + row + " after a step that did not read it")
                    .isEqualTo(row(one.get("words"), row));
            assertThat(row(twoDense.get("words"), row)).as("dense Adam moves row " + row + " on its momentum")
                    .isNotEqualTo(row(one.get("words"), row));
        }
        // the positions are read by both steps, and the other weights train as always
        assertThat(twoSparse.get("positions")).isNotEqualTo(one.get("positions"));
        assertThat(twoSparse.get("w")).isNotEqualTo(one.get("w"));
    }

    @Test
    void saysSoWhenNoTableQualifies() throws Exception {
        List<String> messages = new ArrayList<>();
        ModelProto mlp = OnnxModelBuilder.gemmMlp(1, SEQ, 5, 3);
        try (InterpretedModel teacher = OnnxInterpreter.load(mlp, Device.cpu());
             InterpretedModel student = OnnxInterpreter.load(OnnxModelBuilder.gemmMlp(2, SEQ, 5, 3), Device.cpu())) {
            FineTuner.train(student, ids(8, 1, 9, 1), teacher, TrainingConfig.adam(1e-2f, 4, 1)
                    .withObjective(TrainingConfig.Objective.MSE).withEmbeddingUpdates(EmbeddingUpdates.SPARSE),
                    new ProgressListener() {
                        @Override
                        public void progress(double fraction, String message) {
                            messages.add(message);
                        }
                    });
        }
        assertThat(messages).anyMatch(m -> m.contains("no trained weight is read only through Gather"));
    }

    @Test
    void sparseUpdatesAreAdams() {
        assertThatThrownBy(() -> TrainingConfig.adam(1e-2f, 4, 1).withOptimizer(TrainingConfig.OptimizerKind.SGD)
                .withEmbeddingUpdates(EmbeddingUpdates.SPARSE)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Adam");
    }

    @Test
    void anIndexOutsideTheTableFailsAsGatherDoes() throws Exception {
        Dataset data = ids(4, VOCAB - 1, VOCAB, 1); // the student's ids + 1 = VOCAB: one past the last row
        SplittableRandom r = new SplittableRandom(1);
        ModelProto oneRead = new OnnxModelBuilder("one-read", 13)
                .input("ids", -1, SEQ)
                .initializer("words", OnnxModelBuilder.randomWeights(r, VOCAB * DIM, 1), VOCAB, DIM)
                .initializer("w", OnnxModelBuilder.randomWeights(r, DIM * 3, DIM), DIM, 3)
                .node("Gather", List.of("words", "ids"), List.of("e"))
                .node("MatMul", List.of("e", "w"), List.of("y"))
                .output("y", -1, SEQ, 3).build();
        try (InterpretedModel teacher = OnnxInterpreter.load(oneRead, Device.cpu());
             InterpretedModel student = OnnxInterpreter.load(model(2), Device.cpu())) {
            assertThatThrownBy(() -> FineTuner.train(student, data, teacher, TrainingConfig.adam(1e-2f, 4, 1)
                    .withObjective(TrainingConfig.Objective.MSE).withEmbeddingUpdates(EmbeddingUpdates.SPARSE),
                    ProgressListener.NONE)).hasMessageContaining("index " + VOCAB + " is outside the " + VOCAB
                    + " rows of 'words'");
            assertThat(student.block().weightParameters().get("words").requiresGradient()).isTrue();
        }
    }
}
