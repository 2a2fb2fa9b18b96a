package io.caas.service.model;

import io.caas.engine.cost.MacCount;
import io.caas.engine.onnx.ModelSummary;
import io.caas.service.method.MethodCatalog;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;

/**
 * A registered model as stored.
 *
 * @param macs   its multiply-accumulates per layer for one sample, counted at upload; null for a model registered
 *               before they were counted
 * @param offers every method as its full check found the model at upload (whether a job of it would be refused,
 *               and why); null for a model registered before they were kept
 */
public record ModelRecord(UUID id, UUID tenantId, String name, String filename, long sizeBytes, String sha256, String storageKey,
                          ModelSummary summary, MacCount macs, List<MethodCatalog.Offer> offers,
                          OffsetDateTime createdAt) {
}
