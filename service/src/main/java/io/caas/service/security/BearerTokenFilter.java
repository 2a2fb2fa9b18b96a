package io.caas.service.security;

import io.caas.service.problem.ProblemTypes;
import io.caas.service.tenant.Caller;
import io.caas.service.tenant.Tenants;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Reads {@code Authorization: Bearer <token>} and says who the caller is. A request without the header goes on
 * anonymous (public pages and health need none; the access rules refuse the rest); a header with an unknown or
 * revoked token is refused here, so a mistyped key never silently becomes an anonymous request. Kept rather than
 * Spring Security's resource-server support, which is built for JWTs and introspection endpoints: these are opaque
 * keys looked up by their hash in the service's own store, behind a per-address throttle of invalid ones, and the
 * filter that does that is shorter than the adapter to that support would be.
 */
class BearerTokenFilter extends OncePerRequestFilter {

    private static final Logger log = LoggerFactory.getLogger(BearerTokenFilter.class);

    private static final String BEARER = "Bearer ";

    private final ServiceTokens serviceTokens;
    private final Tenants tenants;
    private final AuthFailureThrottle failures;

    BearerTokenFilter(ServiceTokens serviceTokens, Tenants tenants, AuthFailureThrottle failures) {
        this.serviceTokens = serviceTokens;
        this.tenants = tenants;
        this.failures = failures;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String header = request.getHeader(HttpHeaders.AUTHORIZATION);
        if (header == null) {
            chain.doFilter(request, response);
            return;
        }
        if (!header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            refuse(request, response, "use 'Authorization: Bearer <API key>'");
            return;
        }
        String token = header.substring(BEARER.length()).strip();
        Optional<Authentication> caller = operator(token);
        if (caller.isEmpty() && !token.isEmpty()) {
            String address = request.getRemoteAddr();
            long waitNanos = failures.waitNanos(address, token);
            if (waitNanos > 0) {
                throttle(request, response, waitNanos);
                return;
            }
            try {
                caller = tenants.authenticate(token).map(c -> as(c, Roles.TENANT));
            } catch (DataAccessException e) {
                // Keys live in the database; without it no key can be checked, and the client should come back.
                log.warn("cannot check an API key: database unavailable ({})", e.getMessage());
                response.setHeader(HttpHeaders.RETRY_AFTER, "5");
                ProblemResponses.write(request, response, HttpStatus.SERVICE_UNAVAILABLE, ProblemTypes.UNAVAILABLE,
                        "Service unavailable", "the service's database cannot be reached; retry shortly");
                return;
            }
            if (caller.isEmpty()) {
                failures.failed(address, token);
            } else {
                failures.succeeded(token);
            }
        }
        if (caller.isEmpty()) {
            refuse(request, response, "the bearer token is not a valid API key (unknown or revoked)");
            return;
        }
        SecurityContextHolder.getContext().setAuthentication(caller.get());
        try {
            chain.doFilter(request, response);
        } finally {
            SecurityContextHolder.clearContext();
        }
    }

    /** The operator tokens are compared in memory, so checking them costs nothing worth throttling. */
    private Optional<Authentication> operator(String token) {
        if (token.isEmpty()) {
            return Optional.empty();
        }
        if (serviceTokens.isAdmin(token)) {
            return Optional.of(as("operator", Roles.ADMIN));
        }
        if (serviceTokens.isMetrics(token)) {
            return Optional.of(as("metrics-scraper", Roles.METRICS));
        }
        return Optional.empty();
    }

    private static void throttle(HttpServletRequest request, HttpServletResponse response, long waitNanos)
            throws IOException {
        long seconds = Math.max(1, TimeUnit.NANOSECONDS.toSeconds(waitNanos + 999_999_999L));
        response.setHeader(HttpHeaders.RETRY_AFTER, String.valueOf(seconds));
        ProblemResponses.write(request, response, HttpStatus.TOO_MANY_REQUESTS, ProblemTypes.RATE_LIMITED,
                "Too many requests", "too many invalid tokens from this address; no new token from it is "
                        + "checked for " + seconds + " s");
    }

    private static Authentication as(Object principal, String role) {
        return UsernamePasswordAuthenticationToken.authenticated(principal, null,
                List.of(new SimpleGrantedAuthority("ROLE_" + role)));
    }

    static void refuse(HttpServletRequest request, HttpServletResponse response, String detail) throws IOException {
        response.setHeader(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"caas\"");
        ProblemResponses.write(request, response, HttpStatus.UNAUTHORIZED, ProblemTypes.UNAUTHORIZED,
                "Unauthorized", detail);
    }

    /** The tenant caller of the current request, if it is one. */
    static Optional<Caller> currentCaller() {
        Authentication a = SecurityContextHolder.getContext().getAuthentication();
        return a != null && a.getPrincipal() instanceof Caller c ? Optional.of(c) : Optional.empty();
    }
}
