package io.caas.service.problem;

import java.net.URI;

/** Stable problem type identifiers (RFC 9457 "type"), so clients can branch on them rather than on titles. */
public final class ProblemTypes {

    public static final URI NOT_FOUND = URI.create("urn:caas:problem:not-found");
    public static final URI CONFLICT = URI.create("urn:caas:problem:conflict");
    public static final URI INVALID_REQUEST = URI.create("urn:caas:problem:invalid-request");
    public static final URI INVALID_MODEL = URI.create("urn:caas:problem:invalid-model");
    public static final URI INVALID_DATASET = URI.create("urn:caas:problem:invalid-dataset");
    public static final URI UNSUPPORTED_OPERATOR = URI.create("urn:caas:problem:unsupported-operator");
    public static final URI UPLOAD_TOO_LARGE = URI.create("urn:caas:problem:upload-too-large");
    public static final URI BAD_UPLOAD = URI.create("urn:caas:problem:bad-upload");
    public static final URI UNAUTHORIZED = URI.create("urn:caas:problem:unauthorized");
    public static final URI FORBIDDEN = URI.create("urn:caas:problem:forbidden");
    public static final URI RATE_LIMITED = URI.create("urn:caas:problem:rate-limited");
    public static final URI TOO_MANY_JOBS = URI.create("urn:caas:problem:too-many-jobs");
    public static final URI REQUEST_TOO_LARGE = URI.create("urn:caas:problem:request-too-large");
    public static final URI TOO_MANY_UPLOADS = URI.create("urn:caas:problem:too-many-uploads");
    public static final URI TOO_MANY_STREAMS = URI.create("urn:caas:problem:too-many-streams");
    public static final URI UNAVAILABLE = URI.create("urn:caas:problem:unavailable");
    public static final URI INTERNAL = URI.create("urn:caas:problem:internal");
    /** A request the HTTP layer could not read: malformed syntax, a bad parameter value, a broken multipart body. */
    public static final URI BAD_REQUEST = URI.create("urn:caas:problem:bad-request");
    public static final URI METHOD_NOT_ALLOWED = URI.create("urn:caas:problem:method-not-allowed");
    public static final URI NOT_ACCEPTABLE = URI.create("urn:caas:problem:not-acceptable");
    public static final URI UNSUPPORTED_MEDIA_TYPE = URI.create("urn:caas:problem:unsupported-media-type");
    public static final URI REQUEST_TIMEOUT = URI.create("urn:caas:problem:request-timeout");
    /** Any other 4xx the HTTP layer answers by itself. */
    public static final URI CLIENT_ERROR = URI.create("urn:caas:problem:client-error");

    private ProblemTypes() {
    }

    /**
     * The type of an error that carries only a status: those Spring MVC, Spring Security's firewall and the
     * servlet container raise before any of the service's own code can name the problem.
     */
    public static URI forStatus(int status) {
        return switch (status) {
            case 400 -> BAD_REQUEST;
            case 401 -> UNAUTHORIZED;
            case 403 -> FORBIDDEN;
            case 404 -> NOT_FOUND;
            case 405 -> METHOD_NOT_ALLOWED;
            case 406 -> NOT_ACCEPTABLE;
            case 408 -> REQUEST_TIMEOUT;
            case 409 -> CONFLICT;
            case 413 -> REQUEST_TOO_LARGE;
            case 415 -> UNSUPPORTED_MEDIA_TYPE;
            case 429 -> RATE_LIMITED;
            case 503 -> UNAVAILABLE;
            default -> status >= 400 && status < 500 ? CLIENT_ERROR : INTERNAL;
        };
    }
}
