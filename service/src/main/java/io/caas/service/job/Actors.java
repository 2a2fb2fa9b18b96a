package io.caas.service.job;

/** Names of the parts of the service that change jobs on their own, as they appear in job events. */
final class Actors {

    static final String REAPER = "service:stale-job-reaper";
    static final String QUEUE = "service:job-queue";

    private Actors() {
    }

    static String worker() {
        return "worker:" + WorkerIdentity.name();
    }
}
