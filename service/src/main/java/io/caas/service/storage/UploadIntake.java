package io.caas.service.storage;

import io.caas.service.config.CaasProperties;
import io.caas.service.web.BadUploadException;
import io.caas.service.web.Upload;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.Function;
import org.springframework.stereotype.Component;

/**
 * Takes an upload into the store under the size limit and hands it to a registration step; if that step refuses
 * it (not ONNX, not a dataset, database down), the stored bytes are deleted, so a rejected upload leaves nothing.
 */
@Component
public class UploadIntake {

    private final ArtifactStore store;
    private final long maxUploadBytes;
    private final MeterRegistry meters;

    public UploadIntake(ArtifactStore store, CaasProperties properties, MeterRegistry meters) {
        this.store = store;
        this.maxUploadBytes = properties.limits().maxUploadBytes();
        this.meters = meters;
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
            meters.summary("caas.upload.bytes", "kind", kind).record(stored.sizeBytes());
            return registered;
        } catch (RuntimeException e) {
            store.delete(key);
            throw e;
        }
    }

    /** The name a user gave, else the file's name, else a generated one. */
    public static String displayName(String name, String filename, String fallback) {
        if (name != null && !name.isBlank()) {
            return name.strip();
        }
        return filename != null && !filename.isBlank() ? filename : fallback;
    }
}
