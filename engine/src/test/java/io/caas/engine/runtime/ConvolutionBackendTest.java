package io.caas.engine.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import io.caas.engine.testing.OnnxModelBuilder;
import org.junit.jupiter.api.Test;

/**
 * Whatever the processor, once a model is loaded the CPU convolution is right: on a processor where libtorch's
 * oneDNN convolution is wrong (an AMD EPYC VM, see ConvolutionBackend) the interpreter has turned oneDNN off.
 */
class ConvolutionBackendTest {

    @Test
    void afterTheFirstModelIsLoadedConvolutionsMatchADirectSum() {
        try (InterpretedModel m = OnnxInterpreter.load(new OnnxModelBuilder("relu", 13).input("x", 1, 2)
                .node("Relu", java.util.List.of("x"), java.util.List.of("y")).output("y", 1, 2).build(), Device.cpu())) {
            assertThat(m).isNotNull();
        }
        assertThat(ConvolutionBackend.mkldnnEnabled()).as("libtorch's switch is reachable").isPresent();
        double error = ConvolutionBackend.worstError(false);
        double channelsLast = ConvolutionBackend.worstError(true);
        System.out.printf("convolution error after the check: %.2e NCHW, %.2e channels-last (oneDNN %s, "
                + "channels-last %s)%n", error, channelsLast, ConvolutionBackend.mkldnnEnabled().orElseThrow() ? "on"
                : "off", ChannelsLast.on() ? "on" : "off");
        assertThat(error).isLessThan(1e-3);
        if (ChannelsLast.on()) {
            assertThat(channelsLast).isLessThan(1e-3);
        }
        // where oneDNN's one-byte caches were the cause (that VM), the repair keeps oneDNN's faster convolutions on,
        // and its channels-last ones
        if (OnednnCacheSizes.repair() == OnednnCacheSizes.Outcome.REPAIRED) {
            assertThat(ConvolutionBackend.mkldnnEnabled()).as("oneDNN after the cache repair").contains(true);
            assertThat(ChannelsLast.on()).as("channels-last after the cache repair").isTrue();
        }
        // NNPACK stays on only where it can run: elsewhere libtorch would log a warning on every convolution
        ConvolutionBackend.Nnpack nnpack = ConvolutionBackend.nnpack().orElseThrow();
        System.out.printf("NNPACK available %s, enabled %s%n", nnpack.available(), nnpack.enabled());
        assertThat(nnpack.enabled()).isEqualTo(nnpack.available());
    }
}
