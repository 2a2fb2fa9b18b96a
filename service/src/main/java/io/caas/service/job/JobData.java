package io.caas.service.job;

import io.caas.engine.data.Dataset;
import io.caas.engine.onnx.ModelSummary;
import io.caas.service.dataset.DatasetRecord;
import io.caas.service.dataset.DatasetService;
import io.caas.service.dataset.InvalidDatasetException;
import io.caas.service.problem.NotFoundException;
import java.util.Optional;
import java.util.UUID;
import org.springframework.stereotype.Component;

/** Loads a job's datasets on the worker, failing the job with a readable reason if one has gone or changed. */
@Component
class JobData {

    private final DatasetService datasets;

    JobData(DatasetService datasets) {
        this.datasets = datasets;
    }

    record Loaded(Optional<Dataset> train, Optional<Dataset> eval) {
    }

    Loaded load(JobRecord job, ModelSummary model) {
        return new Loaded(load(job.tenantId(), job.submission().trainDatasetId(), "training", model),
                load(job.tenantId(), job.submission().evalDatasetId(), "evaluation", model));
    }

    private Optional<Dataset> load(UUID tenantId, UUID id, String role, ModelSummary model) {
        if (id == null) {
            return Optional.empty();
        }
        DatasetRecord record;
        try {
            record = datasets.get(tenantId, id);
        } catch (NotFoundException e) {
            throw new JobFailure(role + " dataset " + id + " was deleted before the job ran");
        }
        datasets.compatibilityProblem(record, model).ifPresent(p -> {
            throw new JobFailure(p);
        });
        try {
            return Optional.of(datasets.load(record));
        } catch (InvalidDatasetException e) {
            throw new JobFailure(role + " dataset " + id + " cannot be read: " + e.getMessage(), e);
        }
    }
}
