package io.caas.service.problem;

import io.caas.engine.onnx.OnnxFormatException;
import io.caas.service.config.CaasProperties;
import io.caas.service.dataset.InvalidDatasetException;
import io.caas.service.job.TooManyJobsException;
import io.caas.service.job.UnsupportedOperatorsException;
import io.caas.service.storage.UploadBrokenOffException;
import io.caas.service.storage.UploadTooLargeException;
import io.caas.service.upload.BadUploadException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.validation.ConstraintViolationException;
import java.net.URI;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.apache.catalina.connector.ClientAbortException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.TransientDataAccessException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.web.bind.MethodArgumentNotValidException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.method.annotation.HandlerMethodValidationException;
import org.springframework.web.multipart.MaxUploadSizeExceededException;
import org.springframework.web.multipart.MultipartException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

/**
 * Every error leaves as {@code application/problem+json} (RFC 9457) with a message the user can act on. Stack
 * traces stay in the log: an unexpected failure gets a reference the operator can grep for.
 */
@RestControllerAdvice
class ApiExceptionHandler extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ApiExceptionHandler.class);
    private static final URI ABOUT_BLANK = URI.create("about:blank");

    /** Errors listed in one 422 or 400; the rest are counted in "errorsOmitted", so an answer stays small. */
    static final int MAX_ERRORS_LISTED = 100;
    /** A detail longer than this (one that joins many errors) is replaced by a count; the list has them. */
    private static final int MAX_DETAIL_CHARS = 2000;

    private final long maxUploadBytes;

    ApiExceptionHandler(CaasProperties properties) {
        this.maxUploadBytes = properties.limits().maxUploadBytes();
    }

    @ExceptionHandler(NotFoundException.class)
    ProblemDetail notFound(NotFoundException e) {
        return problem(HttpStatus.NOT_FOUND, ProblemTypes.NOT_FOUND, "Not found", e.getMessage());
    }

    @ExceptionHandler(ConflictException.class)
    ProblemDetail conflict(ConflictException e) {
        return problem(HttpStatus.CONFLICT, ProblemTypes.CONFLICT, "Conflict", e.getMessage());
    }

    @ExceptionHandler(InvalidRequestException.class)
    ProblemDetail invalid(InvalidRequestException e) {
        ProblemDetail p = problem(HttpStatus.UNPROCESSABLE_ENTITY, ProblemTypes.INVALID_REQUEST, "Invalid request", e.getMessage());
        listErrors(p, e.errors());
        return p;
    }

    @ExceptionHandler(UnsupportedOperatorsException.class)
    ProblemDetail unsupported(UnsupportedOperatorsException e) {
        ProblemDetail p = problem(HttpStatus.UNPROCESSABLE_ENTITY, ProblemTypes.UNSUPPORTED_OPERATOR,
                "Unsupported operator", e.getMessage());
        p.setProperty("operators", e.operators());
        return p;
    }

    @ExceptionHandler(OnnxFormatException.class)
    ProblemDetail invalidModel(OnnxFormatException e) {
        return problem(HttpStatus.UNPROCESSABLE_ENTITY, ProblemTypes.INVALID_MODEL, "Invalid ONNX model", e.getMessage());
    }

    @ExceptionHandler(InvalidDatasetException.class)
    ProblemDetail invalidDataset(InvalidDatasetException e) {
        return problem(HttpStatus.UNPROCESSABLE_ENTITY, ProblemTypes.INVALID_DATASET, "Invalid dataset", e.getMessage());
    }

    @ExceptionHandler(UploadTooLargeException.class)
    ProblemDetail tooLarge(UploadTooLargeException e) {
        ProblemDetail p = problem(HttpStatus.PAYLOAD_TOO_LARGE, ProblemTypes.UPLOAD_TOO_LARGE, "Upload too large", e.getMessage());
        p.setProperty("limitBytes", e.limitBytes());
        return p;
    }

    @ExceptionHandler(BadUploadException.class)
    ProblemDetail badUpload(BadUploadException e) {
        return problem(HttpStatus.BAD_REQUEST, ProblemTypes.BAD_UPLOAD, "Bad upload", e.getMessage());
    }

    /** A client that went away mid-upload: its mistake or its network's, worth a line, not a stack trace. */
    @ExceptionHandler(UploadBrokenOffException.class)
    ProblemDetail brokenOff(UploadBrokenOffException e) {
        log.info("upload refused: {}", e.getMessage());
        return problem(HttpStatus.BAD_REQUEST, ProblemTypes.BAD_UPLOAD, "Bad upload", e.getMessage());
    }

    /** A multipart body that cannot be parsed (truncated, no boundary, the client gone while it was read). */
    @ExceptionHandler(MultipartException.class)
    ProblemDetail badMultipart(MultipartException e) {
        String reason = rootMessage(e);
        log.info("multipart upload refused: {}", reason);
        return problem(HttpStatus.BAD_REQUEST, ProblemTypes.BAD_UPLOAD, "Bad upload",
                "the multipart body could not be read: " + reason);
    }

    /**
     * Nobody is left to answer: the client closed the connection while the answer was being written (Spring MVC's
     * own handler takes the same case when it surfaces as AsyncRequestNotUsableException).
     */
    @ExceptionHandler(ClientAbortException.class)
    void clientGone(Exception e, HttpServletRequest request) {
        log.debug("client went away during {} {}: {}", request.getMethod(), request.getRequestURI(), e.getMessage());
    }

    /** {@code @Min}/{@code @Max} and the like on query parameters and headers, checked by the @Validated proxy. */
    @ExceptionHandler(ConstraintViolationException.class)
    ProblemDetail constraintViolated(ConstraintViolationException e) {
        List<String> errors = e.getConstraintViolations().stream()
                .map(v -> lastNode(v.getPropertyPath().toString()) + ": " + v.getMessage()).sorted().toList();
        ProblemDetail p = problem(HttpStatus.BAD_REQUEST, ProblemTypes.BAD_REQUEST, "Bad request",
                "invalid parameters: " + String.join("; ", errors));
        listErrors(p, errors);
        return p;
    }

    @ExceptionHandler(TooManyJobsException.class)
    ResponseEntity<ProblemDetail> tooManyJobs(TooManyJobsException e) {
        ProblemDetail p = problem(HttpStatus.TOO_MANY_REQUESTS, ProblemTypes.TOO_MANY_JOBS, "Too many active jobs",
                e.getMessage());
        p.setProperty("limit", e.limit());
        // A hint, not a promise: when a slot frees depends on the jobs already running.
        return ResponseEntity.status(HttpStatus.TOO_MANY_REQUESTS).header(HttpHeaders.RETRY_AFTER, "30").body(p);
    }

    /** The database is away (restart, fail-over): say so, and that retrying makes sense, rather than "internal". */
    @ExceptionHandler({DataAccessResourceFailureException.class, TransientDataAccessException.class,
            CannotCreateTransactionException.class})
    ResponseEntity<ProblemDetail> unavailable(Exception e) {
        log.warn("request failed: database unavailable ({})", e.getMessage());
        ProblemDetail p = problem(HttpStatus.SERVICE_UNAVAILABLE, ProblemTypes.UNAVAILABLE, "Service unavailable",
                "the service's database cannot be reached; retry shortly");
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).header(HttpHeaders.RETRY_AFTER, "5").body(p);
    }

    @ExceptionHandler(Exception.class)
    ProblemDetail unexpected(Exception e) {
        String reference = UUID.randomUUID().toString();
        log.error("unexpected error, reference {}", reference, e);
        ProblemDetail p = problem(HttpStatus.INTERNAL_SERVER_ERROR, ProblemTypes.INTERNAL, "Internal error",
                "the service failed to handle this request; quote reference " + reference + " to the operator");
        p.setProperty("reference", reference);
        return p;
    }

    @Override
    protected ResponseEntity<Object> handleMaxUploadSizeExceededException(MaxUploadSizeExceededException ex,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        // a multipart part over the limit reaches here without it (-1): the limit is the configured one
        long limit = ex.getMaxUploadSize() > 0 ? ex.getMaxUploadSize() : maxUploadBytes;
        ProblemDetail p = problem(HttpStatus.PAYLOAD_TOO_LARGE, ProblemTypes.UPLOAD_TOO_LARGE, "Upload too large",
                "upload exceeds the limit of " + limit + " bytes (caas.limits.max-upload-bytes)");
        p.setProperty("limitBytes", limit);
        return ResponseEntity.status(HttpStatus.PAYLOAD_TOO_LARGE).body(p);
    }

    /** The same checks when Spring MVC runs them itself. */
    @Override
    protected ResponseEntity<Object> handleHandlerMethodValidationException(HandlerMethodValidationException ex,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        List<String> errors = ex.getParameterValidationResults().stream()
                .flatMap(r -> r.getResolvableErrors().stream()
                        .map(e -> r.getMethodParameter().getParameterName() + ": " + e.getDefaultMessage()))
                .sorted().toList();
        ProblemDetail p = problem(HttpStatus.BAD_REQUEST, ProblemTypes.BAD_REQUEST, "Bad request",
                "invalid parameters: " + String.join("; ", errors));
        listErrors(p, errors);
        return ResponseEntity.badRequest().body(p);
    }

    /**
     * Everything else Spring MVC answers itself (unreadable JSON, a parameter of the wrong type, a missing part,
     * an unsupported method or media type) comes as a problem with type {@code about:blank}: give it the
     * service's type for its status, so clients branch on one vocabulary.
     */
    @Override
    protected ResponseEntity<Object> createResponseEntity(Object body, HttpHeaders headers, HttpStatusCode statusCode,
                                                          WebRequest request) {
        if (body instanceof ProblemDetail p && (p.getType() == null || ABOUT_BLANK.equals(p.getType()))) {
            p.setType(ProblemTypes.forStatus(statusCode.value()));
        }
        return super.createResponseEntity(body, headers, statusCode, request);
    }

    @Override
    protected ResponseEntity<Object> handleMethodArgumentNotValid(MethodArgumentNotValidException ex,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        List<String> errors = ex.getBindingResult().getFieldErrors().stream()
                .map(f -> f.getField() + ": " + f.getDefaultMessage()).sorted().toList();
        ProblemDetail p = problem(HttpStatus.BAD_REQUEST, ProblemTypes.INVALID_REQUEST, "Invalid request",
                "the request body has invalid fields");
        listErrors(p, errors);
        return ResponseEntity.badRequest().body(p);
    }

    private static String lastNode(String path) {
        return path.substring(path.lastIndexOf('.') + 1);
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
    }

    /** The first {@link #MAX_ERRORS_LISTED} errors, and how many more there were. */
    private static void listErrors(ProblemDetail p, List<String> errors) {
        int listed = Math.min(errors.size(), MAX_ERRORS_LISTED);
        p.setProperty("errors", errors.subList(0, listed));
        if (listed < errors.size()) {
            p.setProperty("errorsOmitted", errors.size() - listed);
        }
        if (p.getDetail() != null && p.getDetail().length() > MAX_DETAIL_CHARS) {
            p.setDetail("the request has " + errors.size() + " problems; 'errors' lists "
                    + (listed < errors.size() ? "the first " + listed : "them"));
        }
    }

    private static ProblemDetail problem(HttpStatus status, URI type, String title, String detail) {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(status, detail);
        p.setType(type);
        p.setTitle(title);
        return p;
    }
}
