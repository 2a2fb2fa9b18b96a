package io.caas.service.job;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Turns a worker's missing GPU into Spring Boot's short "APPLICATION FAILED TO START" report, not a stack trace. */
public class TrainingDeviceFailureAnalyzer extends AbstractFailureAnalyzer<TrainingDeviceUnavailableException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, TrainingDeviceUnavailableException cause) {
        return new FailureAnalysis(cause.getMessage(), "Give the container a GPU and the image's GPU flavour "
                + "(docs/deployment.md), or set CAAS_TRAINING_DEVICE=auto (or cpu) to train on the CPU.", cause);
    }
}
