package io.caas.service.job;

import io.caas.service.storage.StoredObject;

/** What a successful run leaves: the stored artifact, its headline numbers and the full report (JSON). */
record JobOutcome(StoredObject artifact, JobSummary summary, String summaryJson, String reportJson) {
}
