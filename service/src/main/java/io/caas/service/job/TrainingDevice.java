package io.caas.service.job;

import ai.djl.Device;
import io.caas.engine.runtime.DeviceChoice;
import io.caas.engine.runtime.TorchRuntime;
import io.caas.service.config.CaasProperties;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Locale;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * The device this node's jobs fine-tune on ({@code caas.jobs.training-device}), settled once. A worker settles it as
 * it starts, so that a GPU node that sees no GPU fails there, naming the setting, rather than at its first job; an
 * API-only node, which trains nothing, does not load libtorch for it.
 */
@Component
class TrainingDevice {

    private static final Logger LOG = LoggerFactory.getLogger(TrainingDevice.class);

    private final DeviceChoice choice;
    private final IntSupplier gpus;
    private volatile Device device;

    @Autowired
    TrainingDevice(CaasProperties properties, MeterRegistry registry) {
        this(properties.jobs().trainingDevice(), properties.isWorker(), TorchRuntime::gpuCount);
        if (properties.isWorker()) {
            // an info metric, as Prometheus' *_info series: which workers of a fleet really train on a GPU
            Gauge.builder("caas.worker.training.device", () -> 1).tag("device", DeviceChoice.describe(device()))
                    .description("Where this worker's jobs fine-tune (caas.jobs.training-device as resolved)")
                    .register(registry);
        }
    }

    /** @param gpus the CUDA devices libtorch sees, asked at most once */
    TrainingDevice(DeviceChoice choice, boolean worker, IntSupplier gpus) {
        this.choice = choice;
        this.gpus = gpus;
        if (worker) {
            LOG.info("jobs fine-tune on the {} (caas.jobs.training-device={})", DeviceChoice.describe(device()),
                    choice.name().toLowerCase(Locale.ROOT));
        }
    }

    Device device() {
        Device d = device;
        if (d == null) {
            synchronized (this) {
                if (device == null) {
                    try {
                        device = choice.resolve(gpus);
                    } catch (IllegalStateException e) {
                        throw new TrainingDeviceUnavailableException(e);
                    }
                }
                d = device;
            }
        }
        return d;
    }
}
