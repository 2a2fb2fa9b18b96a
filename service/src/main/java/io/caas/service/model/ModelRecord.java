package io.caas.service.model;

import io.caas.engine.cost.MacCount;
import io.caas.engine.onnx.ModelSummary;
import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * A registered model as stored.
 *
 * @param macs its multiply-accumulates per layer for one sample, counted at upload; null for a model registered
 *             before they were counted
 */
public record ModelRecord(UUID id, UUID tenantId, String name, String filename, long sizeBytes, String sha256, String storageKey,
                          ModelSummary summary, MacCount macs, OffsetDateTime createdAt) {
}
