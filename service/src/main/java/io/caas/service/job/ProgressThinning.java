package io.caas.service.job;

import java.util.regex.Pattern;

/**
 * Which progress reports become events in the job's log. A training loop reports every step, with the step and the
 * loss in its message; an event each time flooded the log (hundreds per job, more than a page). An event is written
 * when the phase changes (the message's words, its numbers aside), and within a phase only when the message changed
 * and the job has moved a whole percent further or {@link #QUIET_NANOS} have passed since the phase's last event:
 * at most about a hundred per phase, and one per 10 s on a slow one. The job's own progress and message are still
 * updated as often as before, and metrics keep every point of the curves.
 */
final class ProgressThinning {

    static final long QUIET_NANOS = 10_000_000_000L;
    /** A number as messages write them: signed, with decimals, thousands commas, an exponent, % or x after it. */
    private static final Pattern NUMBER = Pattern.compile("[-+]?[0-9][0-9.,eE%x-]*");

    private String lastMessage;
    private String lastPhase;
    private double lastFraction = Double.NEGATIVE_INFINITY;
    private long lastAt;

    /** Whether this report becomes an event; if so, it is remembered as the last one. */
    boolean record(double fraction, String message, long nowNanos) {
        if (message == null || message.equals(lastMessage)) {
            return false;
        }
        String phase = phase(message);
        boolean record = !phase.equals(lastPhase)
                || Math.floor(100 * fraction) > Math.floor(100 * lastFraction)
                || nowNanos - lastAt >= QUIET_NANOS;
        if (record) {
            lastMessage = message;
            lastPhase = phase;
            lastFraction = fraction;
            lastAt = nowNanos;
        }
        return record;
    }

    /** The message with its numbers replaced by one mark: "step 12 of 2,000, loss 0.31" → "step # of #, loss #". */
    static String phase(String message) {
        return NUMBER.matcher(message).replaceAll("#");
    }
}
