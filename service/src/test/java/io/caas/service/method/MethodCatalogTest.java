package io.caas.service.method;

import static org.assertj.core.api.Assertions.assertThat;

import io.caas.engine.compress.CompressionMethods;
import io.caas.engine.onnx.LayerKind;
import io.caas.engine.onnx.WeightedLayer;
import java.util.List;
import org.junit.jupiter.api.Test;

class MethodCatalogTest {

    final MethodCatalog catalog = new MethodCatalog(CompressionMethods.all());

    static WeightedLayer conv(long out, long in, long kh, long kw) {
        return new WeightedLayer("conv", "Conv", LayerKind.CONV, "w", List.of(out, in, kh, kw), out * in * kh * kw);
    }

    @Test
    void kernelDecompositionsAreOfferedForSpatialKernelsOnly() {
        assertThat(catalog.applicableTo(conv(32, 16, 3, 3))).contains("svd", "oialr", "tucker", "cp", "tt");
        assertThat(catalog.applicableTo(conv(32, 16, 1, 3))).contains("tucker", "cp", "tt");
        // a 1×1 conv is a dense layer over channels: the low-rank methods take it, the kernel decompositions do not
        assertThat(catalog.applicableTo(conv(32, 16, 1, 1))).contains("svd", "oialr")
                .doesNotContain("tucker", "cp", "tt");
    }

    @Test
    void denseLayersAreNotOfferedToKernelDecompositions() {
        WeightedLayer dense = new WeightedLayer("fc", "Gemm", LayerKind.DENSE, "w", List.of(128L, 784L), 128 * 784);
        assertThat(catalog.applicableTo(dense)).contains("svd", "oialr", "ldr").doesNotContain("tucker", "cp", "tt");
    }
}
