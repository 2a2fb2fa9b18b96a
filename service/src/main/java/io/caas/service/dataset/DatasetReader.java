package io.caas.service.dataset;

import io.caas.engine.data.Dataset;
import java.nio.file.Path;

/** Reads dataset files; backed by the engine's loaders. */
public interface DatasetReader {

    /**
     * Reads the whole file once, so that a dataset is registered only if it can be used.
     *
     * @param filename the client's file name, a hint for the format
     * @param format   the format the client named, or null to detect it
     * @throws io.caas.service.dataset.InvalidDatasetException naming what is wrong
     */
    DatasetInfo inspect(Path file, String filename, String format);

    Dataset load(Path file, String format);
}
