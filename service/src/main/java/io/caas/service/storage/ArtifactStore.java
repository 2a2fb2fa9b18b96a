package io.caas.service.storage;

import java.io.InputStream;
import java.nio.file.Path;

/**
 * Where models, datasets and compressed artifacts live. Writes are all-or-nothing: a reader sees either no object
 * or the whole object, never a partial one.
 */
public interface ArtifactStore {

    /**
     * Streams {@code content} into the store under {@code key}, computing its SHA-256 on the way.
     *
     * @param maxBytes the most bytes accepted; past it nothing is kept and {@link UploadTooLargeException} is thrown
     */
    StoredObject put(String key, InputStream content, long maxBytes);

    /** Stores a local file (a job's output) under {@code key}. */
    StoredObject putFile(String key, Path file);

    InputStream open(String key);

    /**
     * A local file with the object's content, for the engine, which reads files. The filesystem store returns its
     * own file; a remote store downloads to a temporary file the caller deletes.
     */
    LocalCopy localCopy(String key);

    boolean exists(String key);

    void delete(String key);

    /** A readable local file; {@link #close()} removes it if it was a temporary download. */
    interface LocalCopy extends AutoCloseable {
        Path path();

        @Override
        void close();
    }
}
