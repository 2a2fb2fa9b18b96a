package io.caas.service.dataset;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;

/**
 * A registered dataset as stored and shown.
 *
 * @param sampleShape shape of one sample, without the batch dimension
 * @param inputs      for a model with several inputs (an npz with one array per input): each input's part of a
 *                    sample, in the order stored (sampleShape is then their flat total); empty otherwise
 * @param classes     number of classes (0 when unlabelled)
 */
public record DatasetRecord(UUID id, @com.fasterxml.jackson.annotation.JsonIgnore UUID tenantId, String name, String filename, String format, long sizeBytes, String sha256,
                            @com.fasterxml.jackson.annotation.JsonIgnore String storageKey, int samples, List<Long> sampleShape,
                            List<DatasetInputShape> inputs, int classes, boolean labelled, OffsetDateTime createdAt) {

    /** One model input's part of each sample. */
    public record DatasetInputShape(String name, List<Long> sampleShape) {
    }
}
