package io.caas.service.job;

import io.caas.service.problem.ProblemTypes;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/**
 * An event stream refused because its key or the node holds as many as allowed. An ErrorResponseException, so
 * Spring MVC renders its problem and Retry-After as they are.
 */
class TooManyStreamsException extends ErrorResponseException {

    TooManyStreamsException(String detail, int limit) {
        super(HttpStatus.TOO_MANY_REQUESTS, problem(detail, limit), null);
        // A hint: streams end when their jobs do.
        getHeaders().set(HttpHeaders.RETRY_AFTER, "30");
    }

    private static ProblemDetail problem(String detail, int limit) {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(HttpStatus.TOO_MANY_REQUESTS, detail);
        p.setType(ProblemTypes.TOO_MANY_STREAMS);
        p.setTitle("Too many event streams");
        p.setProperty("limit", limit);
        return p;
    }
}
