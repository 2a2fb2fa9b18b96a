package io.caas.engine.compress;

import static org.assertj.core.api.Assertions.assertThat;

import io.caas.engine.data.Dataset;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.text.WordPieceTokenizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * all-MiniLM-L6-v2 with its six feed-forward blocks tied: each initialisation untrained, then distilled on the
 * fortune-cookie training sentences (per-token last_hidden_state, masked MSE), measured like
 * {@link MiniLmBenchmarkTest} (parameters, bytes, ONNX Runtime p50 at batch 1 and 8, cosine of mean-pooled
 * embeddings to the original's on the 256 held-out sentences).
 *
 * <p>Run: {@code mvn -B -q -pl engine test -Pslow -Dtest=TiedMiniLmBenchmarkTest -Dtied.minilm.steps=40
 * -Dtied.minilm.batch=8 -Dtied.minilm.trainInits=average,first}
 */
@Tag("slow")
class TiedMiniLmBenchmarkTest {

    @Test
    void tiedMiniLm() throws Exception {
        MiniLmBenchmarkTest.Setup setup = MiniLmBenchmarkTest.Setup.load(MiniLmBenchmarkTest.HELD_OUT);
        ModelProto original = setup.model();
        WordPieceTokenizer tok = setup.tok();
        List<String> train = setup.train();
        List<String> heldOut = setup.heldOut();
        Dataset data = MiniLmBenchmarkTest.tokenDataset(tok, train);
        long steps = Long.getLong("tied.minilm.steps", 40);
        int batch = Integer.getInteger("tied.minilm.batch", 8);

        float[][] reference = MiniLmBenchmarkTest.embeddings(original, tok, heldOut);
        List<String> rows = new ArrayList<>();
        rows.add(MiniLmBenchmarkTest.row("original", "", original, tok, heldOut, reference, Double.NaN));
        for (String init : List.of("average", "first", "second")) {
            Map<String, Object> p = Map.of("init", init, "fineTune", false);
            rows.add(run(original, p, Optional.empty(), null, tok, heldOut, reference));
        }
        for (String init : System.getProperty("tied.minilm.trainInits", "average,first").split(",")) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("init", init);
            p.put("trainOnlyTied", true);
            rows.add(run(original, p, Optional.of(data), new TrainingBudget(null, steps, batch, 1e-3), tok, heldOut,
                    reference) + " steps=" + steps + " batch=" + batch + " lr=1e-3");
            print(rows);
        }
        rows.add(run(original, Map.of("init", "average"), Optional.of(data),
                new TrainingBudget(null, steps, batch, 1e-4), tok, heldOut, reference)
                + " all weights, steps=" + steps + " batch=" + batch + " lr=1e-4");
        print(rows);
    }

    private static String run(ModelProto original, Map<String, Object> p, Optional<Dataset> data,
                              TrainingBudget budget, WordPieceTokenizer tok, List<String> heldOut,
                              float[][] reference) throws Exception {
        long t0 = System.nanoTime();
        CompressionResult r = CompressionMethods.get("tied").compress(new CompressionTask(original, p, data,
                Optional.empty(), budget == null ? TrainingBudget.DEFAULTS : budget), ProgressListener.NONE);
        double secs = (System.nanoTime() - t0) / 1e9;
        assertThat(r.layers()).hasSize(6);
        List<double[]> loss = r.curves().get("loss");
        String lossNote = loss == null ? "" : String.format(Locale.ROOT, " loss %.4f→%.4f", loss.get(0)[1],
                loss.get(loss.size() - 1)[1]);
        return MiniLmBenchmarkTest.row("tied", p.toString(), r.compressed(), tok, heldOut, reference, secs)
                + lossNote;
    }

    private static void print(List<String> rows) {
        System.out.println("| method | parameters | ONNX bytes | p50 ms b=1 | p50 ms b=8 | cosine mean | cosine min "
                + "| compression s |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        rows.forEach(System.out::println);
    }
}
