package io.caas.service.storage;

import java.io.InputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * Where models, datasets and compressed artifacts live. Writes are all-or-nothing: a reader sees either no object
 * or the whole object, never a partial one; and durable: once {@link #put} returns, the object survives a crash.
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

    /** Every complete object in the store (never an unfinished write), to find those no row refers to. */
    List<StoredEntry> list();

    /**
     * Removes the leftovers of writes that never finished (a node killed mid-upload) and were last touched before
     * {@code untouchedSince}; a write still under way elsewhere keeps touching its file and is left alone.
     *
     * @return how many were removed
     */
    int removeUnfinishedWrites(Instant untouchedSince);

    /** A readable local file; {@link #close()} removes it if it was a temporary download. */
    interface LocalCopy extends AutoCloseable {
        Path path();

        @Override
        void close();
    }
}
