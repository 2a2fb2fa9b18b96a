package io.caas.service.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import io.caas.engine.runtime.DeviceChoice;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.Test;
import org.springframework.boot.diagnostics.FailureAnalysis;

class TrainingDeviceTest {

    @Test
    void aGpuWorkerThatSeesNoGpuDoesNotStartAndNamesTheSetting() {
        assertThatThrownBy(() -> new TrainingDevice(DeviceChoice.GPU, true, () -> 0))
                .isInstanceOf(TrainingDeviceUnavailableException.class)
                .hasMessageStartingWith("caas.jobs.training-device: a GPU was asked for");
    }

    @Test
    void theNodeStopsWithSpringBootsShortReportSayingWhatToDo() {
        Throwable startFailure = new org.springframework.beans.factory.BeanCreationException("trainingDevice",
                "constructor threw", new TrainingDeviceUnavailableException(new IllegalStateException("none seen")));
        FailureAnalysis analysis = new TrainingDeviceFailureAnalyzer().analyze(startFailure);
        assertThat(analysis.getDescription()).isEqualTo("caas.jobs.training-device: none seen");
        assertThat(analysis.getAction()).contains("GPU flavour").contains("CAAS_TRAINING_DEVICE=auto");
    }

    @Test
    void anApiNodeNeitherLoadsLibtorchNorChecks() {
        IntSupplier never = () -> {
            throw new AssertionError("an API-only node asked libtorch for its GPUs");
        };
        new TrainingDevice(DeviceChoice.GPU, false, never);
        new TrainingDevice(DeviceChoice.AUTO, false, never);
    }

    @Test
    void aWorkerSettlesItsDeviceOnceAtStart() {
        AtomicInteger asked = new AtomicInteger();
        TrainingDevice auto = new TrainingDevice(DeviceChoice.AUTO, true, () -> {
            asked.incrementAndGet();
            return 2;
        });
        assertThat(asked).hasValue(1);
        assertThat(auto.device()).isEqualTo(Device.gpu(0));
        assertThat(auto.device()).isEqualTo(Device.gpu(0));
        assertThat(asked).hasValue(1);
        assertThat(new TrainingDevice(DeviceChoice.AUTO, true, () -> 0).device()).isEqualTo(Device.cpu());
    }

    @Test
    void cpuNeverAsks() {
        assertThat(new TrainingDevice(DeviceChoice.CPU, true, () -> {
            throw new AssertionError("cpu asked libtorch for its GPUs");
        }).device()).isEqualTo(Device.cpu());
    }
}
