package io.caas.engine.compress.tensor;

import static io.caas.engine.compress.tensor.TensorParameters.ALS_ITERATIONS;
import static io.caas.engine.compress.tensor.TensorParameters.DEFAULT_ALS_ITERATIONS;
import static io.caas.engine.compress.tensor.TensorParameters.DEFAULT_HOOI_ITERATIONS;
import static io.caas.engine.compress.tensor.TensorParameters.DEFAULT_SENSITIVITY_SAMPLES;
import static io.caas.engine.compress.tensor.TensorParameters.HOOI_ITERATIONS;
import static io.caas.engine.compress.tensor.TensorParameters.MAX_ALS_ITERATIONS;
import static io.caas.engine.compress.tensor.TensorParameters.MAX_HOOI_ITERATIONS;
import static io.caas.engine.compress.tensor.TensorParameters.MAX_SENSITIVITY_SAMPLES;

import io.caas.engine.compress.MethodDescriptor;
import io.caas.engine.compress.MethodParameter;
import io.caas.engine.onnx.LayerKind;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** What {@code GET /v1/methods} says about tucker, cp and tt. */
final class TensorDescriptors {

    private static final String PAPER = "Singh, Jahromi, Orús, Tensor network compressibility of convolutional "
            + "models, arXiv 2403.14379";

    private TensorDescriptors() {
    }

    static MethodDescriptor tucker() {
        List<MethodParameter> params = common("[r_in, r_out]");
        params.add(new MethodParameter(HOOI_ITERATIONS, "integer", DEFAULT_HOOI_ITERATIONS, 0, MAX_HOOI_ITERATIONS,
                "HOOI sweeps refining the HOSVD factors (0: plain truncated HOSVD). Each sweep cannot raise the "
                        + "kernel's error.", "Kolda and Bader 2009, section 4.2 (HOOI)"));
        return new MethodDescriptor("tucker", "Tucker-2 decomposition of convolutions",
                "Splits each k x k convolution (group 1) into a 1x1 conv to r_in channels, a k x k core conv to "
                        + "r_out channels with the original strides and pads, and a 1x1 conv to the output "
                        + "channels (Tucker-2 on the channel modes, from HOSVD refined by HOOI). No training data "
                        + "needed; fineTune uses it where given.",
                Set.of(LayerKind.CONV), false, List.copyOf(params));
    }

    static MethodDescriptor cp() {
        List<MethodParameter> params = common("[R]");
        params.add(new MethodParameter(ALS_ITERATIONS, "integer", DEFAULT_ALS_ITERATIONS, 1, MAX_ALS_ITERATIONS,
                "Most ALS sweeps per fit; a fit stops earlier once a sweep improves the relative error by less "
                        + "than 1e-7. With energy, the rank is searched by bisection, one fit per step.",
                "chosen: the fit on trained kernels changes little after a few dozen sweeps"));
        return new MethodDescriptor("cp", "CP decomposition of convolutions",
                "Fits each k x k convolution (group 1) by a rank-R CP decomposition (alternating least squares) "
                        + "and exports it as a 1x1 conv to R channels, a depthwise k x 1 and a depthwise 1 x k conv, "
                        + "and a 1x1 conv to the output channels: R(in + 2k + out) parameters. No training data "
                        + "needed; fineTune uses it where given.",
                Set.of(LayerKind.CONV), false, List.copyOf(params));
    }

    static MethodDescriptor tt() {
        return new MethodDescriptor("tt", "Tensor-train decomposition of convolutions",
                "Cuts each k x k convolution (group 1) into a tensor train over in | kh | kw | out by TT-SVD and "
                        + "exports the four cores as a 1x1 conv (in to r1), a k x 1 conv (r1 to r2), a 1 x k conv "
                        + "(r2 to r3) and a 1x1 conv (r3 to out): the parameter count is the cores'. No training "
                        + "data needed; fineTune uses it where given.",
                Set.of(LayerKind.CONV), false, List.copyOf(common("[r1, r2, r3]")));
    }

    private static List<MethodParameter> common(String rankMeaning) {
        List<MethodParameter> p = new ArrayList<>();
        p.add(new MethodParameter(TensorParameters.RATIO, "number", TensorMethod.DEFAULT_RATIO, 0.0, 1.0,
                "Fraction of each layer's kernel parameters to keep (exclusive lower bound 0); the ranks are the "
                        + "largest that fit. Used unless energy or targetParameters is given.",
                "chosen: a predictable size; trained kernels' flat spectra make energy rules keep nearly full "
                        + "ranks (see BENCHMARKS.md)"));
        p.add(new MethodParameter(TensorParameters.ENERGY, "number", null, 0.0, 1.0,
                "Instead of ratio: keep at least this fraction of each kernel's squared norm, so that its relative "
                        + "error is at most sqrt(1 - energy).", "Eckart-Young for the truncated SVDs; " + PAPER));
        p.add(new MethodParameter(TensorParameters.RANKS, "object", null, null, null,
                "Explicit ranks " + rankMeaning + " per layer name, e.g. {\"conv_3\": " + example(rankMeaning)
                        + "}; capped where the kernel's shape allows fewer. Other layers follow ratio or energy.",
                null));
        p.add(new MethodParameter(TensorParameters.TARGET_PARAMETERS, "integer", null, 1, null,
                "Instead of ratio, energy and ranks: the whole model's parameter count to stay at or under. Every "
                        + "decomposed layer takes the same ratio, the largest whose model fits (layers left alone "
                        + "and layers that would not shrink count as they are); a count below the smallest ranks' "
                        + "model is refused, naming it. A job's target.compressionRatio sets this when no size "
                        + "parameter is given.",
                "chosen: one uniform ratio, the rule ratio already follows, found by bisection"));
        p.add(new MethodParameter(TensorParameters.LAYERS, "string[]", null, null, null,
                "Decompose only these layers (Conv node names with a kernel larger than 1x1).", null));
        p.add(new MethodParameter(TensorParameters.SKIP_FIRST_AND_LAST, "boolean", true, null, null,
                "Leave the first convolution and the last weighted layer as they are: they hold few parameters and "
                        + "their error reaches the output undamped (the first conv is also the most sensitive "
                        + "layer, see sensitivitySamples).",
                "common practice in low-rank CNN compression (Denton et al. 2014, Kim et al. 2016)"));
        p.add(new MethodParameter(TensorParameters.ONLY_IF_SMALLER, "boolean", true, null, null,
                "Leave a layer as it is where its chain would not have fewer parameters than its kernel.", null));
        p.add(new MethodParameter(TensorParameters.FINE_TUNE, "boolean", false, null, null,
                "After decomposing, fine-tune the whole model (every factor conv included) on the job's training "
                        + "data within its budget: cross-entropy with labels, else distillation of the original's "
                        + "outputs (MSE). Budget defaults: Adam 1e-3, batch 64, 1 epoch. Ignored without training "
                        + "data.",
                "as svd's fineTune; fine-tuning after decomposition as in Kim et al. 2016 and " + PAPER));
        p.add(new MethodParameter(TensorParameters.SENSITIVITY_SAMPLES, "integer", DEFAULT_SENSITIVITY_SAMPLES, 0,
                MAX_SENSITIVITY_SAMPLES,
                "For each decomposed layer, the output change when that layer alone is decomposed, measured in ONNX "
                        + "Runtime on this many samples of the evaluation data (with the accuracy drop where it is "
                        + "labelled) or of seeded random inputs (symbolic dims 64); written to the layer's note. "
                        + "0 skips it.",
                PAPER + " (early layers are the sensitive ones)"));
        return p;
    }

    private static String example(String rankMeaning) {
        return switch (rankMeaning) {
            case "[R]" -> "[16]";
            case "[r_in, r_out]" -> "[8, 16]";
            default -> "[8, 12, 16]";
        };
    }
}
