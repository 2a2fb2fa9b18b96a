package io.caas.engine.compress.svd;

import io.caas.engine.compress.CompressionMethods;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.LayerSpeedCheck;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.compress.SpeedCheck;
import io.caas.engine.data.Dataset;
import io.caas.engine.eval.EvaluationOptions;
import io.caas.engine.eval.Evaluator;
import io.caas.engine.eval.NodeProfile;
import io.caas.engine.eval.NodeTime;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.testing.ComparisonCnn;
import io.caas.engine.testing.FashionMnistModels;
import io.caas.engine.testing.FusionModels;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Where the comparison CNN's time goes at batch 32, and what its bilinear layer and its second conv's forms do to
 * it: ONNX Runtime's profiler (1 thread, per-node medians) on the original, the Einsum rewritten exactly as PyTorch's
 * MatMul pattern, svd at 10 % of every layer in the channel and in the spatial form, and the bilinear layer in the
 * Hadamard form at a few ranks; each timed against the original in paired rounds, top-1 on the 10,000 test images.
 * No fine-tuning. Behind the speed target's fourth version in BENCHMARKS.md.
 *
 * <p>Run: {@code mvn -B -o -q -pl engine test -Pslow -Dtest=ComparisonCnnProfileBenchmarkTest}
 */
@Tag("slow")
class ComparisonCnnProfileBenchmarkTest {

    @Test
    void whereTheTimeGoes() throws Exception {
        Dataset test = FashionMnistModels.load(false);
        ModelProto original = ComparisonCnn.trained();
        Map<String, ModelProto> variants = new LinkedHashMap<>();
        variants.put("original", original);
        variants.put("Einsum as MatMul pattern (exact)", FusionModels.matMulForm(original));
        for (String form : List.of("channels", "spatial")) {
            variants.put("svd ratio 0.1, " + form, compress("svd", original, Map.of("ratio", 0.1, "onlyIfFaster",
                    false, "convForm", form, "skipFirstAndLast", false)));
        }
        for (int rank : new int[] {1, 4, 16}) {
            variants.put("bilinear rank " + rank, compress("bilinear", original, Map.of("rank", rank, "fineTune",
                    false)));
        }
        Dataset timing = FashionMnistModels.slice(test, 0, 64, true);
        SpeedCheck paired = LayerSpeedCheck.of(original, List.of(), Optional.of(timing), 32);
        EvaluationOptions accuracy = EvaluationOptions.defaults().withRuns(1, 3).withBatchSize(500);
        EvaluationOptions profiled = EvaluationOptions.defaults().withBatchSize(32);
        double before = Evaluator.measure(original, Optional.of(test), accuracy).top1Accuracy();
        for (Map.Entry<String, ModelProto> v : variants.entrySet()) {
            SpeedCheck.Verdict speed = paired.checkModel(v.getValue());
            double top1 = Evaluator.measure(v.getValue(), Optional.of(test), accuracy).top1Accuracy();
            NodeProfile p = Evaluator.profile(v.getValue(), Optional.of(timing), profiled).batchN();
            System.out.printf(Locale.ROOT, "profile: %s: top-1 %.4f (%+.2f points), paired speed-up %.2fx at batch 1, "
                    + "%.2fx at batch 32; batch %d: %.0f µs in nodes%n", v.getKey(), top1, 100 * (top1 - before),
                    1 / speed.ratioAtOne(), 1 / speed.ratioAtBatch(), p.batchSize(), p.nodeMicros());
            for (NodeTime n : p.top().subList(0, Math.min(6, p.top().size()))) {
                System.out.printf(Locale.ROOT, "profile:     %-36s %-18s %7.1f µs %5.1f %%%n", n.node(), n.opType(),
                        n.micros(), 100 * n.share());
            }
        }
    }

    private static ModelProto compress(String method, ModelProto model, Map<String, Object> parameters)
            throws InterruptedException {
        return CompressionMethods.get(method).compress(new CompressionTask(model, parameters, Optional.empty(),
                Optional.empty()), ProgressListener.NONE).compressed();
    }
}
