package io.caas.service.job;

import java.util.UUID;
import org.jobrunr.jobs.annotations.Job;
import org.springframework.stereotype.Component;

/**
 * JobRunr's entry point on worker nodes. Public because JobRunr instantiates the call from its stored form.
 * Retries are JobRunr's recovery of jobs whose worker died (it marks them failed and hands them out again);
 * a compression that fails is recorded as failed by {@link JobExecution} and returns normally, so it is not retried.
 */
@Component
public class CompressionJobRunner {

    private final JobExecution execution;

    public CompressionJobRunner(JobExecution execution) {
        this.execution = execution;
    }

    @Job(name = "compression job %0", retries = 3)
    public void run(UUID jobId) throws InterruptedException {
        execution.execute(jobId);
    }
}
