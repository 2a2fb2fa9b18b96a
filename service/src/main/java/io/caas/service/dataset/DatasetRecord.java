package io.caas.service.dataset;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;

/**
 * A registered dataset as stored and shown.
 *
 * @param sampleShape shape of one sample, without the batch dimension
 * @param classes     number of classes (0 when unlabelled)
 */
public record DatasetRecord(UUID id, @com.fasterxml.jackson.annotation.JsonIgnore UUID tenantId, String name, String filename, String format, long sizeBytes, String sha256,
                            @com.fasterxml.jackson.annotation.JsonIgnore String storageKey, int samples, List<Long> sampleShape, int classes, boolean labelled,
                            OffsetDateTime createdAt) {
}
