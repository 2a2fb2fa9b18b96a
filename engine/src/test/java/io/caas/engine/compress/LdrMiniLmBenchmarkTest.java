package io.caas.engine.compress;

import static org.assertj.core.api.Assertions.assertThat;

import io.caas.engine.data.Dataset;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.WeightedLayer;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.text.WordPieceTokenizer;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * ldr on a token model: all-MiniLM-L6-v2's twelve feed-forward MatMuls (384→1536 and 1536→384, each four 384×384
 * Toeplitz-like blocks of displacement rank 2) with the closed-form fit, then a few distillation steps on real
 * sentences, as TiedMiniLmTest does for tied. Prints sizes and the mean cosine of the held-out sentences' embeddings
 * to the original's.
 * Run: mvn -B -q -pl engine test -Pslow -Dtest=LdrMiniLmBenchmarkTest [-Dldr.minilm.steps=12]
 */
@Tag("slow")
class LdrMiniLmBenchmarkTest {

    @Test
    void feedForwardLayersOfMiniLm() throws Exception {
        MiniLmBenchmarkTest.Setup setup = MiniLmBenchmarkTest.Setup.load(48);
        ModelProto original = setup.model();
        WordPieceTokenizer tok = setup.tok();
        List<String> train = setup.train();
        List<String> heldOut = setup.heldOut();
        List<String> ffn = ModelInspector.inspect(original).layers().stream()
                .filter(l -> l.node().contains("intermediate/dense") || l.node().contains("output/dense"))
                .filter(l -> !l.node().contains("attention")).map(WeightedLayer::node).toList();
        System.out.println("opset " + ModelInspector.defaultOpset(original) + ", layers " + ffn);
        assertThat(ffn).hasSize(12);

        float[][] reference = MiniLmBenchmarkTest.embeddings(original, tok, heldOut);
        long steps = Long.getLong("ldr.minilm.steps", 12);
        Dataset data = MiniLmBenchmarkTest.tokenDataset(tok, train);
        for (boolean tune : new boolean[] {false, true}) {
            long t0 = System.nanoTime();
            CompressionResult r = CompressionMethods.get("ldr").compress(new CompressionTask(original,
                    Map.of("layers", ffn, "fit", "weight", "fineTune", tune), Optional.of(data), Optional.empty(),
                    new TrainingBudget(null, steps, 8, 1e-3)), ProgressListener.NONE);
            double seconds = (System.nanoTime() - t0) / 1e9;
            float[][] emb = MiniLmBenchmarkTest.embeddings(r.compressed(), tok, heldOut);
            double sum = 0;
            double min = 1;
            for (int i = 0; i < emb.length; i++) {
                double c = MiniLmBenchmarkTest.cosine(emb[i], reference[i]);
                sum += c;
                min = Math.min(min, c);
            }
            System.out.printf(Locale.ROOT, "ldr MiniLM FFN, %s: parameters %,d -> %,d, bytes %,d -> %,d, mean cosine "
                            + "%.4f (min %.4f) on 48 held-out sentences, %.0f s%n",
                    tune ? steps + " distillation steps (batch 8, lr 1e-3)" : "closed-form fit only",
                    ModelInspector.inspect(original).parameters(), ModelInspector.inspect(r.compressed()).parameters(),
                    original.getSerializedSize(), r.compressed().getSerializedSize(), sum / emb.length, min, seconds);
            assertThat(r.layers().stream().filter(LayerReport::factorized)).hasSize(12);
        }
    }
}
