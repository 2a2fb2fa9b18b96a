package io.caas.engine.compress.tensor;

import io.caas.engine.compress.MethodDescriptor;
import io.caas.engine.onnx.LayerKind;
import java.util.Set;

/** What {@code GET /v1/methods} says about tucker, cp and tt. */
final class TensorDescriptors {

    static final String PAPER = "Singh, Jahromi, Orús, Tensor network compressibility of convolutional "
            + "models, arXiv 2403.14379";

    private TensorDescriptors() {
    }

    static MethodDescriptor tucker() {
        return new MethodDescriptor("tucker", "Tucker-2 decomposition of convolutions",
                "Splits each k x k convolution (group 1) into a 1x1 conv to r_in channels, a k x k core conv to "
                        + "r_out channels with the original strides and pads, and a 1x1 conv to the output "
                        + "channels (Tucker-2 on the channel modes, from HOSVD refined by HOOI). No training data "
                        + "needed; fineTune uses it where given.",
                Set.of(LayerKind.CONV), false, TensorParameters.of(TensorMethod.Variant.TUCKER));
    }

    static MethodDescriptor cp() {
        return new MethodDescriptor("cp", "CP decomposition of convolutions",
                "Fits each k x k convolution (group 1) by a rank-R CP decomposition (alternating least squares) "
                        + "and exports it as a 1x1 conv to R channels, a depthwise k x 1 and a depthwise 1 x k conv, "
                        + "and a 1x1 conv to the output channels: R(in + 2k + out) parameters. No training data "
                        + "needed; fineTune uses it where given.",
                Set.of(LayerKind.CONV), false, TensorParameters.of(TensorMethod.Variant.CP));
    }

    static MethodDescriptor tt() {
        return new MethodDescriptor("tt", "Tensor-train decomposition of convolutions",
                "Cuts each k x k convolution (group 1) into a tensor train over in | kh | kw | out by TT-SVD and "
                        + "exports the four cores as a 1x1 conv (in to r1), a k x 1 conv (r1 to r2), a 1 x k conv "
                        + "(r2 to r3) and a 1x1 conv (r3 to out): the parameter count is the cores'. No training "
                        + "data needed; fineTune uses it where given.",
                Set.of(LayerKind.CONV), false, TensorParameters.of(TensorMethod.Variant.TT));
    }
}
