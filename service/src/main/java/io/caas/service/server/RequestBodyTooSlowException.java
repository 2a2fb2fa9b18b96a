package io.caas.service.server;

import java.io.IOException;

/**
 * A request body that arrived slower than the node's minimum data rate; thrown from the read, so whatever reads
 * the body (an upload into the store, multipart parsing, JSON binding) stops there.
 */
final class RequestBodyTooSlowException extends IOException {

    RequestBodyTooSlowException(long bytesPerSecond, long minimumBytesPerSecond, long windowSeconds) {
        super("the request body arrived at " + bytesPerSecond + " bytes/s over " + windowSeconds
                + " s of waiting for it, below the minimum of " + minimumBytesPerSecond + " bytes/s");
    }
}
