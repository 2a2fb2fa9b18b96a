package io.caas.service.job;

import io.caas.engine.compress.CompressionMethod;
import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.compress.TrainingBudget;
import io.caas.engine.eval.ModelMeasurements;
import io.caas.engine.onnx.OnnxFormatException;
import io.caas.engine.onnx.OnnxModels;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.service.method.MethodCatalog;
import io.caas.service.model.ModelRecord;
import io.caas.service.model.ModelService;
import io.caas.service.persistence.Json;
import io.caas.service.problem.NotFoundException;
import io.caas.service.storage.ArtifactStore;
import io.caas.service.storage.StorageException;
import io.caas.service.storage.StoredObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * The work of one job: read the model, run the method, store the compressed model, measure both. Pure work: the
 * job's state is {@link JobExecution}'s concern.
 */
@Component
class CompressionPipeline {

    private final ModelService models;
    private final MethodCatalog methods;
    private final ArtifactStore store;
    private final JobData jobData;
    private final ModelMeasurer measurer;
    private final Json json;
    private final TrainingDevice trainingDevice;

    CompressionPipeline(ModelService models, MethodCatalog methods, ArtifactStore store, JobData jobData,
                        ModelMeasurer measurer, Json json, TrainingDevice trainingDevice) {
        this.trainingDevice = trainingDevice;
        this.measurer = measurer;
        this.models = models;
        this.methods = methods;
        this.store = store;
        this.jobData = jobData;
        this.json = json;
    }

    JobOutcome run(JobRecord job, ProgressListener progress) throws InterruptedException {
        JobRecord.Submission asked = job.submission();
        ModelRecord model;
        try {
            model = models.get(job.tenantId(), asked.modelId());
        } catch (NotFoundException e) {
            throw new JobFailure("model " + asked.modelId() + " was deleted before the job ran");
        }
        CompressionMethod method = methods.find(asked.method())
                .orElseThrow(() -> new JobFailure("method '" + asked.method() + "' is not available on this "
                        + "worker"));

        progress.progress(0.0, "reading model");
        ModelProto original = readModel(model);
        JobData.Loaded data = jobData.load(job, model.summary());
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }

        progress.progress(0.05, "compressing with " + asked.method());
        Map<String, Object> parameters = new HashMap<>(asked.parameters());
        CompressionResult result = method.compress(
                new CompressionTask(original, parameters, data.train(), data.eval(), budget(asked.budget()),
                        trainingDevice.device()),
                new ScaledProgress(progress, 0.05, 0.7));

        progress.progress(0.7, "measuring original and compressed model");
        ModelMeasurer.Measured m = measurer.measure(original, result.compressed(), data.eval(),
                asked.measure().interpreter());
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        double ratio = m.original().parameters() == 0 ? 1.0
                : (double) m.compressed().parameters() / m.original().parameters();
        Double accBefore = m.original().top1Accuracy();
        Double accAfter = m.compressed().top1Accuracy();
        Double accDelta = accBefore != null && accAfter != null ? accAfter - accBefore : null;
        JobReport.TargetCheck target = JobReport.TargetCheck.of(asked.target(), ratio, accDelta, m.speed());
        JobReport report = new JobReport(job.id(), asked.modelId(), asked.method(), asked.parameters(),
                m.original(), m.compressed(), m.agreement(), m.interpreter(), ratio, accDelta, target, m.note(), result.layers(),
                result.curves(), m.speed(), m.macs(), m.profile());
        // Stored last, just before the job's row names it: an artifact no row names is an orphan the storage
        // sweeper removes, and a job that fails while measuring leaves none behind.
        progress.progress(0.95, "storing compressed model");
        StoredObject artifact = storeArtifact(job, result.compressed());
        JobSummary summary = new JobSummary(m.original().parameters(), m.compressed().parameters(), model.sizeBytes(),
                artifact.sizeBytes(), ratio, accBefore, accAfter, accDelta, p50(m.original()), p50(m.compressed()),
                target == null ? null : target.met(), m.speed() == null ? null : m.speed().slower());
        progress.progress(1.0, "done");
        return new JobOutcome(artifact, summary, json.write(summary), json.write(report));
    }

    private static TrainingBudget budget(JobRequest.Budget b) {
        return b == null ? TrainingBudget.DEFAULTS
                : new TrainingBudget(b.epochs(), b.maxSteps(), b.batchSize(), b.learningRate(),
                        TrainedWeights.groups(b.train()), TrainedWeights.embeddingUpdates(b.embeddingUpdates()));
    }

    private static Double p50(ModelMeasurements m) {
        return m.batch1() == null ? null : m.batch1().p50Ms();
    }

    private ModelProto readModel(ModelRecord model) {
        try (ArtifactStore.LocalCopy copy = store.localCopy(model.storageKey())) {
            return OnnxModels.read(copy.path());
        } catch (OnnxFormatException e) {
            throw new JobFailure("the stored model no longer parses: " + e.getMessage(), e);
        }
    }

    private StoredObject storeArtifact(JobRecord job, ModelProto compressed) {
        Path tmp = null;
        try {
            tmp = Files.createTempFile("caas-" + job.id(), ".onnx");
            OnnxModels.write(compressed, tmp);
            return store.putFile("artifacts/" + job.id() + ".onnx", tmp);
        } catch (IOException | OnnxFormatException | StorageException e) {
            // A full disk ends here: the store wrote nothing visible, and the job says why it failed.
            throw new JobFailure("cannot store the compressed model: " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // a temp file left behind is harmless
                }
            }
        }
    }
}
