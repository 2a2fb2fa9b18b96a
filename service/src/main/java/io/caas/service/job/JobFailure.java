package io.caas.service.job;

import io.caas.engine.compress.InvalidParametersException;
import io.caas.engine.data.DatasetFormatException;
import io.caas.engine.runtime.UnsupportedOperatorException;
import java.util.Optional;

/** A job that cannot complete for a reason the user should read (the model was deleted, the data does not fit). */
public class JobFailure extends RuntimeException {

    /** How deep a cause chain is searched for the engine's own exception (libraries wrap it a level or two). */
    private static final int MAX_CAUSE_DEPTH = 8;

    public JobFailure(String message) {
        super(message);
    }

    public JobFailure(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * The failure to record with its reason: a JobFailure, or the engine telling the user what is wrong with their
     * request, model or data (parameters the model refuses, a dataset it cannot use, an operator it cannot run), not
     * a fault of the service. Empty for anything else, which is an internal error.
     */
    static Optional<JobFailure> readable(Throwable thrown) {
        Throwable e = thrown;
        for (int depth = 0; e != null && depth < MAX_CAUSE_DEPTH; depth++, e = e.getCause()) {
            if (e instanceof JobFailure failure) {
                return Optional.of(failure);
            }
            if (e instanceof InvalidParametersException) {
                return Optional.of(new JobFailure("the parameters cannot work with this model: " + e.getMessage(), e));
            }
            if (e instanceof DatasetFormatException) {
                return Optional.of(new JobFailure("a dataset cannot be used: " + e.getMessage(), e));
            }
            if (e instanceof UnsupportedOperatorException) {
                return Optional.of(new JobFailure("the engine cannot run this model: " + e.getMessage(), e));
            }
        }
        return Optional.empty();
    }
}
