package io.caas.service.security;

import io.caas.service.problem.ProblemTypes;
import io.caas.service.tenant.Caller;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Requests per API key, counted on each API node (a cluster of n API nodes lets a key through up to n times the
 * rate; the limit protects each node, and a shared counter would put the database on every request's path).
 * Operator tokens are not limited.
 */
class RateLimitFilter extends OncePerRequestFilter {

    private final int perMinute;
    private final int burst;
    private final LongSupplier nanoClock;
    private final Map<UUID, TokenBucket> buckets = new ConcurrentHashMap<>();

    RateLimitFilter(int perMinute, int burst, LongSupplier nanoClock) {
        this.perMinute = perMinute;
        this.burst = burst;
        this.nanoClock = nanoClock;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        Optional<Caller> caller = BearerTokenFilter.currentCaller();
        if (caller.isPresent() && perMinute > 0) {
            long waitNanos = buckets.computeIfAbsent(caller.get().keyId(),
                    k -> new TokenBucket(perMinute, burst, nanoClock)).take();
            if (waitNanos > 0) {
                long seconds = Math.max(1, TimeUnit.NANOSECONDS.toSeconds(waitNanos + 999_999_999L));
                response.setHeader(HttpHeaders.RETRY_AFTER, String.valueOf(seconds));
                ProblemResponses.write(request, response, HttpStatus.TOO_MANY_REQUESTS, ProblemTypes.RATE_LIMITED,
                        "Too many requests", "this API key is limited to " + perMinute + " requests per minute "
                                + "(bursts of " + burst + "); retry after " + seconds + " s");
                return;
            }
        }
        chain.doFilter(request, response);
    }
}
