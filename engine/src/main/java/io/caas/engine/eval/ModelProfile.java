package io.caas.engine.eval;

/** A model's {@link NodeProfile} at batch 1 and at the evaluation batch size. */
public record ModelProfile(NodeProfile batch1, NodeProfile batchN) {
}
