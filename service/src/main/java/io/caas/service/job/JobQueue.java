package io.caas.service.job;

import java.util.UUID;
import org.jobrunr.scheduling.JobScheduler;
import org.springframework.stereotype.Component;

/**
 * JobRunr, as the jobs feature uses it. The JobRunr job has the same id as our job, so cancelling or inspecting
 * one finds the other without a mapping table.
 */
@Component
public class JobQueue {

    private final JobScheduler scheduler;

    public JobQueue(JobScheduler scheduler) {
        this.scheduler = scheduler;
    }

    public void enqueue(UUID jobId) {
        scheduler.<CompressionJobRunner>enqueue(jobId, runner -> runner.run(jobId));
    }

    /** Takes a job that has not started off the queue. */
    public void remove(UUID jobId) {
        scheduler.delete(jobId, "cancelled by the user");
    }

    /** Deleting a processing JobRunr job interrupts the worker thread running it, on whichever node. */
    public void interrupt(UUID jobId) {
        scheduler.delete(jobId, "cancelled by the user");
    }
}
