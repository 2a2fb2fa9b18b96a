package io.caas.service.security;

import io.caas.service.problem.ProblemBody;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;

/**
 * Problem+json written by the security filters, which answer before Spring MVC and its exception handler run,
 * in the same shape as every other error of the API.
 */
final class ProblemResponses {


    private ProblemResponses() {
    }

    static void write(HttpServletRequest request, HttpServletResponse response, HttpStatus status, URI type,
                      String title, String detail) throws IOException {
        write(request, response, status, type, title, detail, Map.of());
    }

    /** @param extra members after the standard ones (the limit that was hit, say) */
    static void write(HttpServletRequest request, HttpServletResponse response, HttpStatus status, URI type,
                      String title, String detail, Map<String, Object> extra) throws IOException {
        Map<String, Object> p = ProblemBody.of(type, title, status.value(), detail, request.getRequestURI());
        p.putAll(extra);
        response.setStatus(status.value());
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        ProblemBody.write(response.getOutputStream(), p);
    }
}
