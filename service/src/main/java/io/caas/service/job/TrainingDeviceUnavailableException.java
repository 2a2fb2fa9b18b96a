package io.caas.service.job;

/** A worker told to train on a GPU that sees none: the operator's mistake, reported at start. */
public class TrainingDeviceUnavailableException extends IllegalStateException {

    TrainingDeviceUnavailableException(IllegalStateException reason) {
        super("caas.jobs.training-device: " + reason.getMessage(), reason);
    }
}
