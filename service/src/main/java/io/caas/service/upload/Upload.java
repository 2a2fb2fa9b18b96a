package io.caas.service.upload;

import java.io.InputStream;

/**
 * An uploaded file as a stream, from either a multipart part or a raw request body.
 *
 * @param declaredBytes the Content-Length or part size the client announced, -1 if unknown; used to refuse an
 *                      oversize upload before reading it, never trusted as the real size
 */
public record Upload(InputStream content, String filename, long declaredBytes) {
}
