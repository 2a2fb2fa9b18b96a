package io.caas.engine.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import org.junit.jupiter.api.Test;

class DeviceChoiceTest {

    @Test
    void autoTakesTheFirstGpuWhereThereIsOneAndTheCpuElse() {
        assertThat(DeviceChoice.AUTO.resolve(() -> 0)).isEqualTo(Device.cpu());
        assertThat(DeviceChoice.AUTO.resolve(() -> 2)).isEqualTo(Device.gpu(0));
    }

    @Test
    void cpuStaysOnTheCpuWhateverTheMachineHas() {
        assertThat(DeviceChoice.CPU.resolve(() -> 0)).isEqualTo(Device.cpu());
        assertThat(DeviceChoice.CPU.resolve(() -> 8)).isEqualTo(Device.cpu());
    }

    @Test
    void gpuWithoutOneIsRefusedSayingWhatToCheck() {
        assertThat(DeviceChoice.GPU.resolve(() -> 1)).isEqualTo(Device.gpu(0));
        assertThatThrownBy(() -> DeviceChoice.GPU.resolve(() -> 0)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("libtorch sees no CUDA device").hasMessageContaining("--gpus")
                .hasMessageContaining("'auto'");
    }

    @Test
    void aJobsLogNamesTheDeviceAsAPersonWould() {
        assertThat(DeviceChoice.describe(Device.cpu())).isEqualTo("CPU");
        assertThat(DeviceChoice.describe(Device.gpu(1))).isEqualTo("GPU 1");
    }

    @Test
    void onThisMachinesLibtorchAutoAndGpuAgreeWithWhatItSees() {
        int gpus = TorchRuntime.gpuCount();
        if (gpus == 0) {
            // the CPU build this project's tests run on: auto falls back, gpu refuses
            assertThat(DeviceChoice.AUTO.resolve(() -> gpus)).isEqualTo(Device.cpu());
            assertThatThrownBy(() -> DeviceChoice.GPU.resolve(() -> gpus)).isInstanceOf(IllegalStateException.class);
        } else {
            assertThat(DeviceChoice.GPU.resolve(() -> gpus)).isEqualTo(Device.gpu(0));
        }
    }
}
