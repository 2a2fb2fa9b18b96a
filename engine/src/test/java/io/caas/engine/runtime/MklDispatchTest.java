package io.caas.engine.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Whatever the processor, oneMKL inside libtorch runs the kernels the processor's features call for: on Intel's
 * by itself, on AMD's through the engine's shim; where the shim is missing (a jar built without a C compiler) the
 * outcome says so and the kernels are the generic ones that cost twice the time.
 */
class MklDispatchTest {

    @Test
    void oneMklDispatchesByTheProcessorsFeatures() throws IOException {
        TorchRuntime.engine();
        MklDispatch.Outcome outcome = MklDispatch.load();
        List<String> cpuinfo = Files.readAllLines(Path.of("/proc/cpuinfo"));
        boolean amd = MklDispatch.isAmd(cpuinfo.stream());
        Set<String> flags = cpuinfo.stream().filter(l -> l.startsWith("flags")).findFirst()
                .map(l -> Set.of(l.substring(l.indexOf(':') + 1).trim().split("\\s+"))).orElse(Set.of());
        String expected = flags.containsAll(Set.of("avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"))
                ? "AVX-512" : flags.containsAll(Set.of("avx2", "fma")) ? "AVX2" : "AVX";
        System.out.printf("processor %s, shim %s, oneMKL kernels %s%n", amd ? "AMD" : "not AMD", outcome,
                MklDispatch.kernels().orElse("unknown"));

        assertThat(outcome).isEqualTo(amd ? MklDispatch.Outcome.LOADED : MklDispatch.Outcome.NOT_NEEDED);
        assertThat(MklDispatch.kernels()).contains(expected);
    }

    @Test
    void matrixProductsAreTheSameSumsWithTheShim() {
        SplittableRandom r = new SplittableRandom(7);
        int n = 96;
        int k = 200;
        int m = 64;
        float[] a = new float[n * k];
        float[] b = new float[k * m];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) r.nextGaussian();
        }
        float[] c;
        try (NDManager manager = TorchRuntime.newManager(Device.cpu())) {
            NDArray x = manager.create(a, new ai.djl.ndarray.types.Shape(n, k));
            NDArray y = manager.create(b, new ai.djl.ndarray.types.Shape(k, m));
            c = x.matMul(y).toFloatArray();
        }
        double worst = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                double sum = 0;
                for (int t = 0; t < k; t++) {
                    sum += (double) a[i * k + t] * b[t * m + j];
                }
                worst = Math.max(worst, Math.abs(sum - c[i * m + j]));
            }
        }
        assertThat(worst).isLessThan(1e-4);
    }

    @Test
    void readsTheVendorFromCpuinfo() {
        assertThat(MklDispatch.isAmd(Stream.of("processor\t: 0", "vendor_id\t: AuthenticAMD"))).isTrue();
        assertThat(MklDispatch.isAmd(Stream.of("processor\t: 0", "vendor_id\t: GenuineIntel"))).isFalse();
        assertThat(MklDispatch.isAmd(Stream.of("processor\t: 0"))).isFalse();
    }

    @Test
    void namesOneMklsBranches() {
        assertThat(List.of(2, 9, 10, 12, 14, 16).stream().map(MklDispatch::branchName))
                .containsExactly("generic", "AVX", "AVX2", "AVX-512", "AVX-512", "AVX-512");
    }
}
