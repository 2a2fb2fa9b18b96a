package io.caas.service.server;

import io.caas.service.problem.ProblemBody;
import io.caas.service.problem.ProblemTypes;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ValveBase;
import org.apache.coyote.ActionCode;
import org.apache.coyote.InputBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.MediaType;

/**
 * A minimum data rate for request bodies (Tomcat has none; its connection timeout bounds one read, not a body).
 * Without it a client that sends a byte every few seconds holds a request thread for as long as it likes, and
 * the per-key upload cap only limits how many it holds. The check sits under every reader of the body (the
 * store's upload stream, Tomcat's multipart parser, JSON binding), so each of them fails the same way: 408 with
 * the pace measured, whatever the reader made of the failed read (Tomcat itself answers a failed read with 400),
 * and the connection closed instead of the rest of the body being drained at that pace.
 */
public final class MinimumDataRateValve extends ValveBase {

    private static final Logger log = LoggerFactory.getLogger(MinimumDataRateValve.class);

    private final long minimumBytesPerSecond;
    private final long windowNanos;
    private final LongSupplier nanoClock;

    /** @param minimumBytesPerSecond 0 turns the check off */
    public MinimumDataRateValve(long minimumBytesPerSecond, java.time.Duration window, LongSupplier nanoClock) {
        super(true);
        this.minimumBytesPerSecond = minimumBytesPerSecond;
        this.windowNanos = window.toNanos();
        this.nanoClock = nanoClock;
    }

    /**
     * Written here rather than left to the error page: Tomcat answered the failed read with a 400 of its own, and
     * a reader that wrapped the failure as a client abort would get no error page at all.
     */
    private void answer408(Request request, Response response, RequestBodyTooSlowException e) throws IOException {
        if (response.isCommitted()) {
            return;
        }
        response.setSuspended(false);
        response.resetBuffer();
        response.setStatus(HttpServletResponse.SC_REQUEST_TIMEOUT);
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        response.setCharacterEncoding("UTF-8");
        Map<String, Object> body = ProblemBody.of(ProblemTypes.REQUEST_TIMEOUT, "Request body too slow",
                HttpServletResponse.SC_REQUEST_TIMEOUT, e.getMessage(), request.getRequestURI());
        body.put("minimumBytesPerSecond", minimumBytesPerSecond);
        ProblemBody.write(response.getOutputStream(), body);
        response.setErrorReported(); // nothing for the error page or the error valve to add
        response.finishResponse();
    }

    @Override
    public void invoke(Request request, Response response) throws IOException, ServletException {
        org.apache.coyote.Request coyote = request.getCoyoteRequest();
        if (minimumBytesPerSecond <= 0 || coyote.getContentLengthLong() == 0) {
            getNext().invoke(request, response);
            return;
        }
        // The coyote request is recycled for the connection's next request: put its own buffer back after this one.
        InputBuffer socketInput = coyote.getInputBuffer();
        RateCheckedInput checked = new RateCheckedInput(socketInput, minimumBytesPerSecond, windowNanos, nanoClock);
        coyote.setInputBuffer(checked);
        try {
            getNext().invoke(request, response);
        } finally {
            coyote.setInputBuffer(socketInput);
            Optional<RequestBodyTooSlowException> tooSlow = checked.tooSlow();
            if (tooSlow.isPresent()) {
                log.info("{} {}: {}; connection closed", request.getMethod(), request.getRequestURI(),
                        tooSlow.get().getMessage());
                coyote.action(ActionCode.DISABLE_SWALLOW_INPUT, null);
                answer408(request, response, tooSlow.get());
            }
        }
    }
}
