package io.caas.service.security;

import io.caas.service.tenant.Tenants;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Invalid tokens per client address. Checking a tenant key costs a database lookup, and the per-key rate limit
 * cannot count requests whose key is not one: without this a client could make the database check guesses as
 * fast as it can send them. After a burst of failures an address is refused (429) before any lookup until its
 * bucket refills.
 *
 * <p>Keys that were valid lately still pass a throttled address, so one guessing client behind a shared address
 * (a NAT, an office) does not lock out the others there. They are remembered by their SHA-256 only, and still
 * looked up on every request, so a revoked key is refused at once (and forgotten); a guesser cannot get a key into
 * this set without holding a valid one.
 *
 * <p>The addresses are kept in a bounded map, least recently failed dropped first, so clients rotating
 * addresses cannot make it grow without end; an address whose bucket has refilled is forgotten when next seen.
 */
final class AuthFailureThrottle {

    /** About a megabyte of buckets at most. */
    static final int MAX_ADDRESSES = 10_000;
    /** About a megabyte of digests at most; the least recently used go first. */
    static final int MAX_VOUCHED_KEYS = 10_000;

    private final int perMinute;
    private final int burst;
    private final LongSupplier nanoClock;
    private final Map<String, TokenBucket> byAddress = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, TokenBucket> eldest) {
            return size() > MAX_ADDRESSES;
        }
    };

    private final Map<String, Boolean> vouched = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > MAX_VOUCHED_KEYS;
        }
    };

    AuthFailureThrottle(int perMinute, int burst, LongSupplier nanoClock) {
        this.perMinute = perMinute;
        this.burst = burst;
        this.nanoClock = nanoClock;
    }

    /** 0 if this address may present this token to be checked, else the nanoseconds until it may. */
    long waitNanos(String address, String token) {
        if (perMinute <= 0) {
            return 0;
        }
        long wait = waitNanos(address);
        return wait > 0 && vouched(Tenants.hash(token)) ? 0 : wait;
    }

    private synchronized long waitNanos(String address) {
        TokenBucket bucket = byAddress.get(address);
        if (bucket == null) {
            return 0;
        }
        if (bucket.full()) {
            byAddress.remove(address);
            return 0;
        }
        return bucket.waitNanos();
    }

    private synchronized boolean vouched(String digest) {
        return vouched.containsKey(digest);
    }

    /** Records a token from this address that was checked and was not valid (any longer). */
    void failed(String address, String token) {
        if (perMinute <= 0) {
            return;
        }
        String digest = Tenants.hash(token);
        synchronized (this) {
            vouched.remove(digest);
            byAddress.computeIfAbsent(address, a -> new TokenBucket(perMinute, burst, nanoClock)).take();
        }
    }

    /** Records a token that was checked and is a valid key. */
    void succeeded(String token) {
        if (perMinute <= 0) {
            return;
        }
        String digest = Tenants.hash(token);
        synchronized (this) {
            vouched.put(digest, Boolean.TRUE);
        }
    }

    synchronized int addresses() {
        return byAddress.size();
    }
}
