package io.caas.service.web;

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

    private ProblemTypes() {
    }
}
