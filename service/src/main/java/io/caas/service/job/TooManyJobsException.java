package io.caas.service.job;

/** The tenant already has as many queued and running jobs as it may (caas.limits.max-active-jobs-per-tenant). */
public class TooManyJobsException extends RuntimeException {

    private final int limit;

    public TooManyJobsException(int limit) {
        super("this tenant already has " + limit + " queued or running jobs, the most it may have at once; "
                + "submit again when one has finished (or cancel one)");
        this.limit = limit;
    }

    public int limit() {
        return limit;
    }
}
