package io.caas.service.server;

import io.caas.service.problem.ProblemTypes;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Keeps the health connector to the health probes: the API, the pages and the metrics are reached on the main
 * port only, so the health port's two threads cannot be taken by anything else.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
class HealthPortFilter extends OncePerRequestFilter {

    private final HealthConnector health;

    HealthPortFilter(HealthConnector health) {
        this.health = health;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return request.getLocalPort() != health.localPort();
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String path = request.getRequestURI();
        if ("GET".equals(request.getMethod())
                && (path.equals("/actuator/health") || path.startsWith("/actuator/health/"))) {
            chain.doFilter(request, response);
            return;
        }
        response.setStatus(HttpServletResponse.SC_NOT_FOUND);
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        response.getWriter().write("{\"type\":\"" + ProblemTypes.NOT_FOUND + "\",\"title\":\"Not found\",\"status\":404,"
                + "\"detail\":\"this port serves the health probes only (/actuator/health/liveness, "
                + "/actuator/health/readiness)\"}");
    }
}
