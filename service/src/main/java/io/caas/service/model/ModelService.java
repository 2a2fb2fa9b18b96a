package io.caas.service.model;

import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.ModelSummary;
import io.caas.engine.onnx.OnnxFormatException;
import io.caas.engine.onnx.OnnxModels;
import io.caas.service.storage.ArtifactStore;
import io.caas.service.storage.UploadIntake;
import io.caas.service.web.Cursor;
import io.caas.service.web.NotFoundException;
import io.caas.service.web.Page;
import io.caas.service.web.Times;
import io.caas.service.web.Upload;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;

/** The model registry: accepts uploads only once they parse as ONNX, and never keeps the bytes of a rejected one. */
@Service
public class ModelService {

    private static final Logger log = LoggerFactory.getLogger(ModelService.class);

    private final ModelRepository repository;
    private final ArtifactStore store;
    private final UploadIntake intake;
    private final List<ModelDeletionGuard> deletionGuards;

    public ModelService(ModelRepository repository, ArtifactStore store, UploadIntake intake,
                        List<ModelDeletionGuard> deletionGuards) {
        this.repository = repository;
        this.store = store;
        this.intake = intake;
        this.deletionGuards = deletionGuards;
    }

    public ModelRecord register(UUID tenantId, Upload upload, String name) {
        UUID id = UUID.randomUUID();
        String key = "models/" + id + ".onnx";
        String displayName = UploadIntake.displayName(name, upload.filename(), "model-" + id);
        return intake.accept(upload, key, "model", stored -> {
            ModelSummary summary = inspect(key);
            ModelRecord record = new ModelRecord(id, tenantId, displayName, upload.filename(), stored.sizeBytes(), stored.sha256(), key, summary, Times.now());
            repository.insert(record);
            log.info("model {} registered: {} bytes, {} parameters, {} compressible layers", id, stored.sizeBytes(),
                    summary.parameters(), summary.layers().size());
            return record;
        });
    }

    private ModelSummary inspect(String key) {
        try (ArtifactStore.LocalCopy copy = store.localCopy(key)) {
            return ModelInspector.inspect(OnnxModels.read(copy.path()));
        } catch (OnnxFormatException e) {
            throw e;
        } catch (ArithmeticException | IllegalArgumentException | IndexOutOfBoundsException e) {
            // A structurally valid protobuf whose numbers make no sense (overflowing dims, bad indices).
            throw new OnnxFormatException("inconsistent ONNX model: " + e.getMessage(), e);
        }
    }

    public ModelRecord get(UUID tenantId, UUID id) {
        return repository.find(tenantId, id).orElseThrow(() -> new NotFoundException("model", id));
    }

    public Page<ModelRecord> list(UUID tenantId, String cursor, int limit) {
        List<ModelRecord> rows = repository.list(tenantId, cursor == null ? null : Cursor.decode(cursor), limit + 1);
        return Page.of(rows, limit, m -> new Cursor(m.createdAt(), m.id()));
    }

    public void delete(UUID tenantId, UUID id) {
        ModelRecord model = get(tenantId, id);
        deletionGuards.forEach(g -> g.checkDeletable(id));
        repository.delete(tenantId, id);
        store.delete(model.storageKey());
        log.info("model {} deleted", id);
    }
}
