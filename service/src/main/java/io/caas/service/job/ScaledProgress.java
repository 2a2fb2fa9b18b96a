package io.caas.service.job;

import io.caas.engine.compress.ProgressListener;

/** Maps a method's own 0..1 progress onto its share of the whole job (measuring and storing come after). */
record ScaledProgress(ProgressListener target, double from, double to) implements ProgressListener {

    @Override
    public void progress(double fraction, String message) {
        target.progress(from + (to - from) * Math.max(0, Math.min(1, fraction)), message);
    }

    @Override
    public void metric(String name, long step, double value) {
        target.metric(name, step, value);
    }
}
