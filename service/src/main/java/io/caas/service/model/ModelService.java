package io.caas.service.model;

import io.caas.engine.cost.MacCount;
import io.caas.engine.cost.MacCounter;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.ModelSummary;
import io.caas.engine.onnx.OnnxFormatException;
import io.caas.engine.onnx.OnnxModels;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.service.config.Times;
import io.caas.service.method.MethodCatalog;
import io.caas.service.paging.Cursor;
import io.caas.service.paging.Page;
import io.caas.service.problem.NotFoundException;
import io.caas.service.storage.ArtifactStore;
import io.caas.service.storage.UploadIntake;
import io.caas.service.upload.Upload;
import java.time.Clock;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;

/** The model registry: accepts uploads only once they parse as ONNX, and never keeps the bytes of a rejected one. */
@Service
public class ModelService {

    private static final Logger log = LoggerFactory.getLogger(ModelService.class);

    static final int MAX_BYTES_TO_COUNT_MACS = 256 << 20;

    private final ModelRepository repository;
    private final ArtifactStore store;
    private final UploadIntake intake;
    private final List<ModelDeletionGuard> deletionGuards;
    private final MethodCatalog methods;
    private final Clock clock;

    public ModelService(ModelRepository repository, ArtifactStore store, UploadIntake intake,
                        List<ModelDeletionGuard> deletionGuards, MethodCatalog methods, Clock clock) {
        this.methods = methods;
        this.clock = clock;
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
            Inspected inspected = inspect(key);
            ModelSummary summary = inspected.summary();
            ModelRecord record = new ModelRecord(id, tenantId, displayName, upload.filename(), stored.sizeBytes(),
                    stored.sha256(), key, summary, inspected.macs(), inspected.offers(), Times.now(clock));
            repository.insert(record);
            log.info("model {} registered: {} bytes, {} parameters, {} compressible layers", id, stored.sizeBytes(),
                    summary.parameters(), summary.layers().size());
            return record;
        });
    }

    private record Inspected(ModelSummary summary, MacCount macs, List<MethodCatalog.Offer> offers) {
    }

    private Inspected inspect(String key) {
        ModelProto model;
        ModelSummary summary;
        try (ArtifactStore.LocalCopy copy = store.localCopy(key)) {
            model = OnnxModels.read(copy.path());
            summary = ModelInspector.inspect(model);
        } catch (OnnxFormatException e) {
            throw e;
        } catch (ArithmeticException | IllegalArgumentException | IndexOutOfBoundsException e) {
            // A structurally valid protobuf whose numbers make no sense (overflowing dims, bad indices).
            throw new OnnxFormatException("inconsistent ONNX model: " + e.getMessage(), e);
        }
        return new Inspected(summary, macs(model), methods.offers(model, summary));
    }

    /**
     * MACs per layer at the model's declared input shape. Counting needs ONNX Runtime to load the model (to infer
     * its inner sizes), which costs a few times the model's size in memory on the API node: above
     * {@link #MAX_BYTES_TO_COUNT_MACS} only a job's report counts them. Never a reason to refuse a model that parsed.
     */
    private static MacCount macs(ModelProto model) {
        if (model.getSerializedSize() > MAX_BYTES_TO_COUNT_MACS) {
            return MacCount.notCounted("models over " + (MAX_BYTES_TO_COUNT_MACS >> 20) + " MiB are counted in a "
                    + "job's report, not at upload");
        }
        try {
            return MacCounter.count(model, null, List.of());
        } catch (RuntimeException e) {
            log.info("MACs not counted at upload: {}", e.toString());
            return MacCount.notCounted(e.getMessage());
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
