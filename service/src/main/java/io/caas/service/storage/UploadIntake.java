package io.caas.service.storage;

import io.caas.service.config.CaasProperties;
import io.caas.service.persistence.DurableCommits;
import io.caas.service.problem.InvalidRequestException;
import io.caas.service.upload.BadUploadException;
import io.caas.service.upload.Upload;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.Function;
import org.springframework.stereotype.Component;

/**
 * Takes an upload into the store under the size limit and hands it to a registration step; if that step refuses
 * it (not ONNX, not a dataset, database down), the stored bytes are deleted, so a rejected upload leaves nothing.
 * An accepted one is durable, file and row, before the caller answers 201.
 */
@Component
public class UploadIntake {

    private final ArtifactStore store;
    private final long maxUploadBytes;
    private final MeterRegistry meters;
    private final DurableCommits durableCommits;

    public UploadIntake(ArtifactStore store, CaasProperties properties, MeterRegistry meters,
                        DurableCommits durableCommits) {
        this.store = store;
        this.maxUploadBytes = properties.limits().maxUploadBytes();
        this.meters = meters;
        this.durableCommits = durableCommits;
    }

    /** @param kind "model" or "dataset", for the upload-bytes metric */
    public <T> T accept(Upload upload, String key, String kind, Function<StoredObject, T> register) {
        if (upload.declaredBytes() > maxUploadBytes) {
            throw new UploadTooLargeException(maxUploadBytes);
        }
        StoredObject stored = store.put(key, upload.content(), maxUploadBytes);
        try {
            if (stored.sizeBytes() == 0) {
                throw new BadUploadException("the upload is empty");
            }
            T registered = register.apply(stored);
            // The store forced the bytes down when it returned; now the row, so a 201 is never taken back.
            durableCommits.sync();
            meters.summary("caas.upload.bytes", "kind", kind).record(stored.sizeBytes());
            return registered;
        } catch (RuntimeException e) {
            store.delete(key);
            throw e;
        }
    }

    /** Longest name a model or dataset may be given (the column's width). */
    static final int MAX_NAME_LENGTH = 255;

    /**
     * The name a user gave, else the file's name, else a generated one. A given name must fit its column and hold
     * no control characters (it is shown in pages and logs); refused otherwise, before anything is stored.
     */
    public static String displayName(String name, String filename, String fallback) {
        if (name != null && !name.isBlank()) {
            String n = name.strip();
            if (n.length() > MAX_NAME_LENGTH) {
                throw new InvalidRequestException("name is " + n.length() + " characters long; at most "
                        + MAX_NAME_LENGTH + " are accepted");
            }
            if (n.codePoints().anyMatch(Character::isISOControl)) {
                throw new InvalidRequestException("name must not contain control characters (line breaks, tabs)");
            }
            return n;
        }
        return filename != null && !filename.isBlank() ? filename : fallback;
    }
}
