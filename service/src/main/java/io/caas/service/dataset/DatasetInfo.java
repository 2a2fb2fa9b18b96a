package io.caas.service.dataset;

import java.util.List;

/** What reading a dataset file told us about it. */
public record DatasetInfo(String format, int samples, List<Long> sampleShape,
                          List<DatasetRecord.DatasetInputShape> inputs, int classes, boolean labelled) {
}
