package io.caas.service.security;

import java.util.function.LongSupplier;

/**
 * A token bucket: {@code burst} requests at once, refilled at {@code perMinute}. Synchronized per bucket; one
 * bucket serves one key, so contention is one client with itself. Kept rather than Bucket4j: these few lines are
 * the whole need (one in-memory bucket per key and API node, a wait for Retry-After, a clock tests can drive), and
 * Bucket4j's value is distributed buckets, which a per-node fair-share limit does not want.
 */
final class TokenBucket {

    private static final long NANOS_PER_MINUTE = 60_000_000_000L;

    private final double capacity;
    private final double tokensPerNano;
    private final LongSupplier clock;
    private double tokens;
    private long last;

    TokenBucket(int perMinute, int burst, LongSupplier nanoClock) {
        this.capacity = burst;
        this.tokensPerNano = (double) perMinute / NANOS_PER_MINUTE;
        this.clock = nanoClock;
        this.tokens = burst;
        this.last = nanoClock.getAsLong();
    }

    /** Takes a token: 0 if one was there, else the nanoseconds until one will be (nothing is taken then). */
    synchronized long take() {
        long wait = waitNanos();
        if (wait == 0) {
            tokens -= 1;
        }
        return wait;
    }

    /** 0 if a token is there, else the nanoseconds until one will be; takes nothing. */
    synchronized long waitNanos() {
        refill();
        return tokens >= 1 ? 0 : (long) Math.ceil((1 - tokens) / tokensPerNano);
    }

    /** Refilled to its burst: it remembers nothing a fresh bucket would not. */
    synchronized boolean full() {
        refill();
        return tokens >= capacity;
    }

    private void refill() {
        long now = clock.getAsLong();
        tokens = Math.min(capacity, tokens + (now - last) * tokensPerNano);
        last = now;
    }
}
