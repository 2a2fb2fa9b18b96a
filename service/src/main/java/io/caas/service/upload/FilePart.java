package io.caas.service.upload;

import io.swagger.v3.oas.annotations.media.Schema;

/** The documented shape of a multipart upload: one binary part named "file". */
@Schema(requiredProperties = "file")
public record FilePart(@Schema(type = "string", format = "binary") String file) {
}
