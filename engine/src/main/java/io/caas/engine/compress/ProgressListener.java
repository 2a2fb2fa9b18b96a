package io.caas.engine.compress;

/** Receives a method's progress while it runs; the service persists these as job events. */
public interface ProgressListener {

    /** @param fraction overall progress in [0, 1] */
    void progress(double fraction, String message);

    /** A training or rank metric at a step (loss, total rank, accuracy...). */
    default void metric(String name, long step, double value) {
    }

    ProgressListener NONE = (fraction, message) -> { };
}
