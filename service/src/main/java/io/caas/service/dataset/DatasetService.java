package io.caas.service.dataset;

import io.caas.engine.data.Dataset;
import io.caas.engine.data.DatasetCompatibility;
import io.caas.engine.data.DatasetInput;
import io.caas.engine.onnx.ModelSummary;
import io.caas.service.config.Times;
import io.caas.service.paging.Cursor;
import io.caas.service.paging.Page;
import io.caas.service.problem.NotFoundException;
import io.caas.service.storage.ArtifactStore;
import io.caas.service.storage.UploadIntake;
import io.caas.service.upload.Upload;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.stereotype.Service;

/** The dataset registry: a dataset is kept only once it has been read in full and found usable. */
@Service
public class DatasetService {

    private final DatasetRepository repository;
    private final ArtifactStore store;
    private final DatasetReader reader;
    private final UploadIntake intake;
    private final List<DatasetDeletionGuard> deletionGuards;
    private final Clock clock;

    public DatasetService(DatasetRepository repository, ArtifactStore store, DatasetReader reader, UploadIntake intake,
                          List<DatasetDeletionGuard> deletionGuards, Clock clock) {
        this.clock = clock;
        this.repository = repository;
        this.store = store;
        this.reader = reader;
        this.intake = intake;
        this.deletionGuards = deletionGuards;
    }

    /**
     * @param labelled what the uploader says of labels: true requires them, false accepts IDX images without their
     *                 labels file, null (unsaid) refuses such images, which look labelled to a user and are not
     */
    public DatasetRecord register(UUID tenantId, Upload upload, String name, String format, Boolean labelled) {
        UUID id = UUID.randomUUID();
        // The loaders tell formats by content, and by extension where content cannot tell (CSV is plain text).
        String key = "datasets/" + id + DatasetFileNames.extension(upload.filename());
        String displayName = UploadIntake.displayName(name, upload.filename(), "dataset-" + id);
        return intake.accept(upload, key, "dataset", stored -> {
            DatasetInfo info;
            try (ArtifactStore.LocalCopy copy = store.localCopy(key)) {
                info = reader.inspect(copy.path(), upload.filename(), format);
            }
            LabelExpectation.problem(info, upload.filename(), labelled).ifPresent(problem -> {
                throw new InvalidDatasetException(problem);
            });
            DatasetRecord record = new DatasetRecord(id, tenantId, displayName, upload.filename(), info.format(), stored.sizeBytes(), stored.sha256(), key, info.samples(),
                    info.sampleShape(), info.inputs(), info.classes(), info.labelled(), Times.now(clock));
            repository.insert(record);
            return record;
        });
    }

    public DatasetRecord get(UUID tenantId, UUID id) {
        return repository.find(tenantId, id).orElseThrow(() -> new NotFoundException("dataset", id));
    }

    public Page<DatasetRecord> list(UUID tenantId, String cursor, int limit) {
        List<DatasetRecord> rows = repository.list(tenantId, cursor == null ? null : Cursor.decode(cursor), limit + 1);
        return Page.of(rows, limit, d -> new Cursor(d.createdAt(), d.id()));
    }

    public Dataset load(DatasetRecord record) {
        try (ArtifactStore.LocalCopy copy = store.localCopy(record.storageKey())) {
            return reader.load(copy.path(), record.format());
        }
    }

    public void delete(UUID tenantId, UUID id) {
        DatasetRecord d = get(tenantId, id);
        deletionGuards.forEach(g -> g.checkDeletable(id));
        repository.delete(tenantId, id);
        store.delete(d.storageKey());
    }

    /**
     * Why this dataset cannot feed the model's first input (or, with one array per input, each of its inputs), or
     * has labels of more classes than the model's first output scores, if so; checked from the stored shapes.
     */
    public Optional<String> compatibilityProblem(DatasetRecord d, ModelSummary model) {
        if (model.inputs().isEmpty()) {
            return Optional.of("model has no inputs to feed dataset " + d.id());
        }
        Optional<String> shape;
        if (!d.inputs().isEmpty()) {
            List<DatasetInput> parts = d.inputs().stream().map(i -> new DatasetInput(i.name(),
                    i.sampleShape().stream().mapToLong(Long::longValue).toArray())).toList();
            List<String> problems = DatasetCompatibility.inputProblems(d.name(), parts, model.inputs());
            shape = problems.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", problems));
        } else {
            long[] sample = d.sampleShape().stream().mapToLong(Long::longValue).toArray();
            shape = DatasetCompatibility.shapeProblem(d.name(), sample, model.inputs().get(0));
        }
        return shape.isPresent() || model.outputs().isEmpty() ? shape
                : DatasetCompatibility.labelProblem(d.name(), d.labelled(), d.classes(), model.outputs().get(0));
    }
}
