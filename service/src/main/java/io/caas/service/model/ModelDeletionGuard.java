package io.caas.service.model;

import java.util.UUID;

/**
 * Lets the job feature veto deleting a model that queued or running jobs still read. Declared here so the model
 * feature does not depend on the job feature.
 */
public interface ModelDeletionGuard {

    /** @throws io.caas.service.problem.ConflictException when the model is in use */
    void checkDeletable(UUID modelId);
}
