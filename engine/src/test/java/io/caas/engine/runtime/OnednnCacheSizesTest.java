package io.caas.engine.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Once libtorch is started, oneDNN never plans with caches of one byte: on a processor that reports no cache sizes
 * (an AMD EPYC VM) it held exactly that before the repair.
 */
class OnednnCacheSizesTest {

    @Test
    void oneDnnPlansWithCachesOfPlausibleSizes() {
        TorchRuntime.engine();
        OnednnCacheSizes.Outcome outcome = OnednnCacheSizes.repair();
        System.out.printf("oneDNN cache sizes: %s, %s%n", outcome, OnednnCacheSizes.description()
                .map(d -> "levels " + d.levels() + ", sizes " + java.util.Arrays.toString(d.sizes())).orElse("not read"));
        if (!MklDispatch.amdOnLinuxX64()) {
            assertThat(outcome).isEqualTo(OnednnCacheSizes.Outcome.NOT_NEEDED);
            return;
        }
        // DJL's libtorch 2.7.1 is pinned: its oneDNN's description must be found, or the repair silently does nothing
        assertThat(outcome).isIn(OnednnCacheSizes.Outcome.SIZES_KNOWN, OnednnCacheSizes.Outcome.REPAIRED,
                OnednnCacheSizes.Outcome.TURNED_OFF);
        if (outcome != OnednnCacheSizes.Outcome.TURNED_OFF) {
            OnednnCacheSizes.Description now = OnednnCacheSizes.description().orElseThrow();
            assertThat(now.oneByteCaches()).isFalse();
            assertThat(now.plausible()).as("%s", now).isTrue();
        }
    }

    @Test
    void theOneBytePatternIsRecognisedAndNothingElse() {
        int[] ones = {1, 1, 1};
        assertThat(new OnednnCacheSizes.Description(3, ones, ones).oneByteCaches()).isTrue();
        assertThat(new OnednnCacheSizes.Description(3, ones, ones).plausible()).isFalse();
        assertThat(new OnednnCacheSizes.Description(0, ones, ones).plausible()).isTrue();
        OnednnCacheSizes.Description zen = new OnednnCacheSizes.Description(3, new int[] {49152, 1 << 20, 32 << 20},
                new int[] {1, 1, 8});
        assertThat(zen.oneByteCaches()).isFalse();
        assertThat(zen.plausible()).isTrue();
        assertThat(new OnednnCacheSizes.Description(2, ones, ones).oneByteCaches()).isFalse();
    }
}
