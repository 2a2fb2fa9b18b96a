package io.caas.service.security;

import io.caas.service.problem.ProblemTypes;
import io.caas.service.server.DiscardUnreadBodyValve;
import io.caas.service.tenant.Caller;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Uploads in progress, per API key and on the whole node. An upload holds a request thread for as long as its
 * body takes to arrive, which a slow client decides; the rate limit counts requests, not the time they hold, so
 * without this a few keys under their rate could hold every thread of the pool. A refused upload's connection is
 * closed rather than drained (see {@link DiscardUnreadBodyValve}).
 */
class UploadConcurrencyFilter extends OncePerRequestFilter {

    /** A hint: an upload in progress ends when its client has sent it, which nobody here can predict. */
    private static final String RETRY_AFTER_SECONDS = "5";

    private final int perKey;
    private final int total;
    private final Map<UUID, Integer> byKey = new ConcurrentHashMap<>();
    private final AtomicInteger all = new AtomicInteger();

    UploadConcurrencyFilter(int perKey, int total, MeterRegistry registry) {
        this.perKey = perKey;
        this.total = total;
        Gauge.builder("caas.uploads.active", all, AtomicInteger::get)
                .description("Model and dataset uploads in progress on this node").register(registry);
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !isUpload(request.getContentType());
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        Optional<Caller> caller = BearerTokenFilter.currentCaller();
        if (caller.isEmpty()) {
            chain.doFilter(request, response); // only tenants upload; the access rules have answered the rest
            return;
        }
        UUID key = caller.get().keyId();
        if (!acquireForKey(key)) {
            refuse(request, response, "this API key already has " + perKey + " uploads in progress; "
                    + "wait for one to finish", perKey);
            return;
        }
        try {
            if (all.incrementAndGet() > total) {
                refuse(request, response, "the service has " + total + " uploads in progress; retry shortly", total);
                return;
            }
            chain.doFilter(request, response);
        } finally {
            all.decrementAndGet();
            byKey.computeIfPresent(key, (k, n) -> n == 1 ? null : n - 1);
        }
    }

    private boolean acquireForKey(UUID key) {
        boolean[] acquired = new boolean[1];
        byKey.compute(key, (k, n) -> {
            int now = n == null ? 0 : n;
            acquired[0] = now < perKey;
            return acquired[0] ? now + 1 : n;
        });
        return acquired[0];
    }

    private static void refuse(HttpServletRequest request, HttpServletResponse response, String detail, int limit)
            throws IOException {
        DiscardUnreadBodyValve.mark(request);
        response.setHeader(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS);
        ProblemResponses.write(request, response, HttpStatus.TOO_MANY_REQUESTS, ProblemTypes.TOO_MANY_UPLOADS,
                "Too many uploads", detail, Map.of("limit", limit));
    }

    static boolean isUpload(String contentType) {
        if (contentType == null) {
            return false;
        }
        try {
            MediaType type = MediaType.parseMediaType(contentType);
            return type.isCompatibleWith(MediaType.MULTIPART_FORM_DATA)
                    || type.isCompatibleWith(MediaType.APPLICATION_OCTET_STREAM);
        } catch (InvalidMediaTypeException e) {
            return false;
        }
    }
}
