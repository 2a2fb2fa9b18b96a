package io.caas.service.job;

import io.caas.service.dataset.DatasetDeletionGuard;
import io.caas.service.model.ModelDeletionGuard;
import io.caas.service.problem.ConflictException;
import java.util.UUID;
import org.springframework.stereotype.Component;

/** Keeps models and datasets that unfinished jobs still need from being deleted under them. */
@Component
class JobUsageGuard implements ModelDeletionGuard, DatasetDeletionGuard {

    private final JobRepository jobs;

    JobUsageGuard(JobRepository jobs) {
        this.jobs = jobs;
    }

    @Override
    public void checkDeletable(UUID id) {
        long active = jobs.countActiveForModel(id) + jobs.countActiveForDataset(id);
        if (active > 0) {
            throw new ConflictException(id + " is used by " + active + " queued or running job(s); cancel them or "
                    + "wait for them to finish");
        }
    }
}
