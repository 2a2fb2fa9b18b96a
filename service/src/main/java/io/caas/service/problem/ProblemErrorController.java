package io.caas.service.problem;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;
import org.springframework.boot.web.servlet.error.ErrorController;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.RequestMapping;

/**
 * The container's error page: what a filter or the container refused with {@code sendError} (a status and at most
 * a message) is answered as problem+json like every other error, instead of Spring Boot's own JSON or HTML. The
 * body is written here directly, whatever the request's Accept header says, so an error never turns into a 406.
 * Asked for directly, {@code /error} is a resource that does not exist.
 */
@Controller
class ProblemErrorController implements ErrorController {

    private final ObjectMapper mapper;

    ProblemErrorController(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    @RequestMapping("${server.error.path:/error}")
    void error(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        int status = code instanceof Integer i ? i : HttpStatus.NOT_FOUND.value();
        Object uri = request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI);
        Object message = request.getAttribute(RequestDispatcher.ERROR_MESSAGE);
        String detail = code == null ? "no resource at " + request.getRequestURI()
                : status < 500 && message instanceof String m && !m.isBlank() ? m
                : defaultDetail(status);
        if (response.isCommitted()) {
            return;
        }
        response.resetBuffer();
        response.setStatus(status);
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        mapper.writeValue(response.getOutputStream(),
                body(status, detail, uri instanceof String u ? u : request.getRequestURI()));
    }

    static Map<String, Object> body(int status, String detail, String instance) {
        return ProblemBody.of(ProblemTypes.forStatus(status), reason(status), status, detail, instance);
    }

    static String defaultDetail(int status) {
        return status >= 500 ? "the service failed to handle this request"
                : "the request was refused (" + status + " "
                        + (HttpStatus.resolve(status) == null ? "" : reason(status)) + ")";
    }

    private static String reason(int status) {
        HttpStatus known = HttpStatus.resolve(status);
        return known == null ? "Error " + status : known.getReasonPhrase();
    }
}
