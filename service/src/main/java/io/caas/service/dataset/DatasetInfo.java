package io.caas.service.dataset;

import java.util.List;

/** What reading a dataset file told us about it. */
public record DatasetInfo(String format, int samples, List<Long> sampleShape, int classes, boolean labelled) {
}
