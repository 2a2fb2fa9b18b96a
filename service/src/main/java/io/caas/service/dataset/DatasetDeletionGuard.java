package io.caas.service.dataset;

import java.util.UUID;

/** Lets the job feature veto deleting a dataset that queued or running jobs still read. */
public interface DatasetDeletionGuard {

    /** @throws io.caas.service.problem.ConflictException when the dataset is in use */
    void checkDeletable(UUID datasetId);
}
