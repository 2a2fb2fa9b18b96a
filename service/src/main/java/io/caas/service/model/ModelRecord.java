package io.caas.service.model;

import io.caas.engine.onnx.ModelSummary;
import java.time.OffsetDateTime;
import java.util.UUID;

/** A registered model as stored. */
public record ModelRecord(UUID id, UUID tenantId, String name, String filename, long sizeBytes, String sha256, String storageKey,
                          ModelSummary summary, OffsetDateTime createdAt) {
}
