package io.caas.service.security;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Invalid tokens per client address. Checking a tenant key costs a database lookup, and the per-key rate limit
 * cannot count requests whose key is not one: without this a client could make the database check guesses as
 * fast as it can send them. After a burst of failures an address is refused (429) before any lookup until its
 * bucket refills, valid keys from that address included, since telling them apart would take the lookup.
 *
 * <p>The addresses are kept in a bounded map, least recently failed dropped first, so clients rotating
 * addresses cannot make it grow without end; an address whose bucket has refilled is forgotten when next seen.
 */
final class AuthFailureThrottle {

    /** About a megabyte of buckets at most. */
    static final int MAX_ADDRESSES = 10_000;

    private final int perMinute;
    private final int burst;
    private final LongSupplier nanoClock;
    private final Map<String, TokenBucket> byAddress = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, TokenBucket> eldest) {
            return size() > MAX_ADDRESSES;
        }
    };

    AuthFailureThrottle(int perMinute, int burst, LongSupplier nanoClock) {
        this.perMinute = perMinute;
        this.burst = burst;
        this.nanoClock = nanoClock;
    }

    /** 0 if this address may present a token to be checked, else the nanoseconds until it may. */
    synchronized long waitNanos(String address) {
        if (perMinute <= 0) {
            return 0;
        }
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

    /** Records a token from this address that was checked and was not valid. */
    synchronized void failed(String address) {
        if (perMinute <= 0) {
            return;
        }
        byAddress.computeIfAbsent(address, a -> new TokenBucket(perMinute, burst, nanoClock)).take();
    }

    synchronized int addresses() {
        return byAddress.size();
    }
}
