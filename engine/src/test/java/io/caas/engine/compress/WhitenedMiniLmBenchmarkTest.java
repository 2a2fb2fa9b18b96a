package io.caas.engine.compress;

import static org.assertj.core.api.Assertions.assertThat;

import io.caas.engine.data.Dataset;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * all-MiniLM-L6-v2 with svd at 70 % of every encoder MatMul's parameters (ratio 0.7, none skipped), no
 * fine-tuning: plain truncation against truncation whitened by each layer's inputs on the 384 training fortunes
 * (parallel and sequential), side by side; rows as in {@link MiniLmBenchmarkTest}, cosine on its 256 held-out
 * sentences.
 *
 * <p>Run: {@code mvn -B -o -q -pl engine test -Pslow -Dtest=WhitenedMiniLmBenchmarkTest}
 * ({@code -Dminilm.calibrationSamples=N}, default 384, all the training sentences; {@code -Dminilm.whitening=none,parallel}
 * for some of the rows; {@code -Dminilm.budget=true} gives the same size as targetParameters, which spreads it over
 * the layers as the rule does, plain by one cut-off, whitened weighted by each layer's measured effect on the
 * output, instead of 70 % of each; {@code -Dminilm.outputAware=true} weighs the whitened rows' output side too, and
 * {@code -Dminilm.sensitivitySamples=N}, default 128, is how many sentences measure each layer's effect on the
 * output). Issue 20's row: {@code -Dminilm.budget=true -Dminilm.whitening=none,parallel -Dminilm.outputAware=true
 * -Dminilm.sensitivitySamples=384}.
 */
@Tag("slow")
class WhitenedMiniLmBenchmarkTest {

    @Test
    void whitenedSvdKeepsTheEmbeddingsPlainSvdLoses() throws Exception {
        MiniLmBenchmarkTest.Setup setup = MiniLmBenchmarkTest.Setup.load(MiniLmBenchmarkTest.HELD_OUT);
        ModelProto original = setup.model();
        float[][] reference = MiniLmBenchmarkTest.embeddings(original, setup.tok(), setup.heldOut());
        Dataset train = MiniLmBenchmarkTest.tokenDataset(setup.tok(), setup.train());
        int samples = Integer.getInteger("minilm.calibrationSamples", MiniLmBenchmarkTest.TRAIN);
        List<String> rows = new ArrayList<>();
        rows.add(MiniLmBenchmarkTest.row("original", "", original, setup.tok(), setup.heldOut(), reference,
                Double.NaN));
        Map<String, Double> cosine = new LinkedHashMap<>();
        boolean budget = Boolean.getBoolean("minilm.budget");
        // the size of every MatMul at 70 % of its parameters, for the budget rule to spread as it finds best
        long atRatio = io.caas.engine.onnx.ModelInspector.inspect(CompressionMethods.get("svd").compress(
                new CompressionTask(original, Map.of("ratio", 0.7, "skipFirstAndLast", false, "onlyIfFaster",
                        false, "fineTune", false), Optional.empty(), Optional.empty()), ProgressListener.NONE)
                .compressed()).parameters();
        for (String whitening : System.getProperty("minilm.whitening", "none,parallel,sequential").split(",")) {
            Map<String, Object> p = new LinkedHashMap<>(Map.of("skipFirstAndLast", false, "whitening", whitening,
                    "calibrationSamples", samples, "onlyIfFaster", false));
            if (!whitening.equals("none") && Boolean.getBoolean("minilm.outputAware")) {
                p.put("outputAware", true);
            }
            p.put("sensitivitySamples", Integer.getInteger("minilm.sensitivitySamples", 128));
            if (budget) {
                p.put("targetParameters", atRatio);
            } else {
                p.put("ratio", 0.7);
            }
            long t0 = System.nanoTime();
            List<String> said = new ArrayList<>();
            CompressionResult r = CompressionMethods.get("svd").compress(new CompressionTask(original, p,
                    Optional.of(train), Optional.empty()), (fraction, message) -> said.add(message));
            System.out.println(whitening + ": " + said.get(said.size() - 1));
            double secs = (System.nanoTime() - t0) / 1e9;
            float[][] emb = MiniLmBenchmarkTest.embeddings(r.compressed(), setup.tok(), setup.heldOut());
            double sum = 0;
            for (int i = 0; i < emb.length; i++) {
                sum += MiniLmBenchmarkTest.cosine(emb[i], reference[i]);
            }
            cosine.put(whitening, sum / emb.length);
            rows.add(MiniLmBenchmarkTest.row("svd", (budget ? "targetParameters " + atRatio : "ratio 0.7")
                    + ", whitening " + whitening, r.compressed(), setup.tok(),
                    setup.heldOut(), reference, secs) + " " + r.layers().stream().filter(LayerReport::factorized)
                    .count() + "/" + r.layers().size() + " |");
            System.out.println("| method | parameters | ONNX bytes | p50 ms b=1 | p50 ms b=8 | cosine mean | cosine "
                    + "min | compression s | layers factorized |");
            System.out.println("|---|---|---|---|---|---|---|---|---|");
            rows.forEach(System.out::println);
        }
        System.out.printf(Locale.ROOT, "mean cosine: %s%n", cosine);
        // issue 20 asks for 0.95; measured 0.852 (parallel and sequential) against 0.523 plain, so far
        for (String whitened : List.of("parallel", "sequential")) {
            if (cosine.containsKey(whitened) && cosine.containsKey("none")) {
                assertThat(cosine.get(whitened)).isGreaterThan(cosine.get("none") + 0.2);
            }
        }
    }
}
