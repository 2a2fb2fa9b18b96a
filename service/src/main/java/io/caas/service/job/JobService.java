package io.caas.service.job;

import io.caas.engine.compress.CompressionMethod;
import io.caas.engine.compress.InvalidParametersException;
import io.caas.engine.onnx.ModelSummary;
import io.caas.engine.runtime.SupportedOperators;
import io.caas.service.config.CaasProperties;
import io.caas.service.config.Times;
import io.caas.service.dataset.DatasetRecord;
import io.caas.service.dataset.DatasetService;
import io.caas.service.method.MethodCatalog;
import io.caas.service.model.ModelRecord;
import io.caas.service.model.ModelService;
import io.caas.service.paging.Cursor;
import io.caas.service.paging.Page;
import io.caas.service.persistence.DurableCommits;
import io.caas.service.persistence.Json;
import io.caas.service.problem.ConflictException;
import io.caas.service.problem.InvalidRequestException;
import io.caas.service.problem.NotFoundException;
import io.caas.service.tenant.Caller;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.stereotype.Service;

/** Accepting, listing and cancelling jobs. Running them is {@link JobExecution}'s business. */
@Service
public class JobService {

    private final JobRepository jobs;
    private final JobEventRepository events;
    private final JobStateMachine stateMachine;
    private final JobQueue queue;
    private final ModelService models;
    private final DatasetService datasets;
    private final MethodCatalog methods;
    private final ModelChecks modelChecks;
    private final JobMetrics metrics;
    private final Json json;
    private final DurableCommits durableCommits;
    private final long maxTrainingSteps;
    private final int maxActiveJobsPerTenant;
    private final int evaluationBatchSize;
    private final Clock clock;

    public JobService(JobRepository jobs, JobEventRepository events, JobStateMachine stateMachine, JobQueue queue,
                      ModelService models, DatasetService datasets, MethodCatalog methods, ModelChecks modelChecks,
                      JobMetrics metrics, Json json, CaasProperties properties, DurableCommits durableCommits,
                      ModelMeasurer measurer, Clock clock) {
        this.clock = clock;
        this.evaluationBatchSize = measurer.batchSize();
        this.maxTrainingSteps = properties.limits().maxTrainingSteps();
        this.maxActiveJobsPerTenant = properties.limits().maxActiveJobsPerTenant();
        this.jobs = jobs;
        this.events = events;
        this.stateMachine = stateMachine;
        this.queue = queue;
        this.models = models;
        this.datasets = datasets;
        this.methods = methods;
        this.modelChecks = modelChecks;
        this.metrics = metrics;
        this.json = json;
        this.durableCommits = durableCommits;
    }

    /** The job and whether it was created now (false: an earlier request with the same Idempotency-Key). */
    public record Submission(JobRecord job, boolean created) {
    }

    public Submission submit(Caller caller, JobRequest request, String idempotencyKey) {
        UUID tenant = caller.tenantId();
        String hash = hash(request);
        if (idempotencyKey != null) {
            Optional<JobRecord> earlier = jobs.findByIdempotencyKey(tenant, idempotencyKey);
            if (earlier.isPresent()) {
                return replay(earlier.get(), hash);
            }
        }
        Map<String, Object> parameters = validate(tenant, request);
        // Checked before the insert, so two racing submissions may both pass: the limit is a fair-share guard,
        // not an exact quota, and a strict one would serialise every submission of a tenant.
        long active = jobs.countActiveForTenant(tenant);
        if (active >= maxActiveJobsPerTenant) {
            throw new TooManyJobsException(maxActiveJobsPerTenant);
        }
        JobRecord job = JobRecord.queued(UUID.randomUUID(), tenant, request, parameters, idempotencyKey, hash,
                Times.now(clock), caller.actor());
        try {
            jobs.insert(job);
        } catch (DuplicateKeyException e) {
            // Two requests with one key raced; the other one's insert won.
            return replay(jobs.findByIdempotencyKey(tenant, idempotencyKey).orElseThrow(), hash);
        }
        events.append(job.id(), job.submission().createdAt(), "state", "queued",
                Map.of("to", JobStatus.QUEUED.wire(), "transition", "SUBMIT"), caller.actor());
        metrics.submitted(job.submission().method());
        try {
            queue.enqueue(job.id());
        } catch (RuntimeException e) {
            stateMachine.apply(job.id(), new JobChange.Fail("could not be queued: " + e.getMessage()), Actors.QUEUE,
                    "the job queue refused the job");
            throw e;
        }
        durableCommits.sync();
        return new Submission(job, true);
    }

    private Submission replay(JobRecord earlier, String hash) {
        if (!hash.equals(earlier.submission().requestHash())) {
            throw new InvalidRequestException("Idempotency-Key was already used with a different request");
        }
        return new Submission(jobs.find(earlier.id()).orElse(earlier), false);
    }

    /** Checks the request and answers the parameters the job runs with (the request's, plus a steered budget). */
    private Map<String, Object> validate(UUID tenant, JobRequest request) {
        List<String> errors = new ArrayList<>();
        Map<String, Object> parameters = request.parameters() == null ? Map.of() : request.parameters();
        ModelRecord model = null;
        try {
            model = models.get(tenant, request.modelId());
        } catch (NotFoundException e) {
            errors.add("modelId: model " + request.modelId() + " not found");
        }
        Optional<CompressionMethod> method = methods.find(request.method());
        if (method.isEmpty()) {
            errors.add("method: unknown method '" + request.method() + "', available: " + methods.names());
        }
        if (request.budget() != null && request.budget().maxSteps() != null
                && request.budget().maxSteps() > maxTrainingSteps) {
            errors.add("budget.maxSteps: at most " + maxTrainingSteps + " steps per job on this service");
        }
        if (request.budget() != null) {
            errors.addAll(TrainedWeights.problems(request.budget()));
        }
        Optional<DatasetRecord> train = dataset(tenant, "trainDatasetId", request.trainDatasetId(), errors);
        Optional<DatasetRecord> eval = dataset(tenant, "evalDatasetId", request.evalDatasetId(), errors);
        if (model != null && method.isPresent()) {
            requireRunnable(model, method.get(), request.parameters());
            parameters = steerToTarget(method.get(), parameters, request.target(), model.summary());
            parameters = steerToSpeed(method.get(), parameters, request.target(), evaluationBatchSize);
            parameters = steerToAccuracy(method.get(), parameters, request.target(), train);
            try {
                method.get().validate(parameters, model.summary());
            } catch (InvalidParametersException e) {
                e.problems().forEach(p -> errors.add("parameters: " + p));
            }
            if (fineTuneRequested(request.parameters()) && request.trainDatasetId() == null) {
                errors.add("trainDatasetId: fineTune needs a training dataset");
            }
            if (method.get().descriptor().needsTrainingData() && train.isEmpty()) {
                errors.add("trainDatasetId: method '" + request.method() + "' fine-tunes and needs a training dataset");
            }
        }
        if (model != null) {
            for (DatasetRecord d : List.of(train, eval).stream().flatMap(Optional::stream).toList()) {
                datasets.compatibilityProblem(d, model.summary()).ifPresent(errors::add);
            }
        }
        if (errors.isEmpty()) {
            // last, and only for a request fine so far: it reads the whole model
            errors.addAll(modelChecks.problems(method.orElseThrow(), parameters, model, train.isPresent()));
        }
        if (!errors.isEmpty()) {
            throw new InvalidRequestException("the job request cannot be run: " + String.join("; ", errors), errors);
        }
        return parameters;
    }

    /**
     * A target compression ratio becomes the method's parameter budget (targetParameters, of the whole model), so
     * the method aims at it instead of the target only being checked afterwards. The parameters the user gave that
     * choose the size themselves win; the job then shows what it runs with.
     */
    private static Map<String, Object> steerToTarget(CompressionMethod method, Map<String, Object> parameters,
                                                     JobRequest.Target target, ModelSummary model) {
        if (target == null || target.compressionRatio() == null) {
            return parameters;
        }
        long budget = (long) Math.floor(target.compressionRatio() * model.parameters());
        return method.withParameterBudget(parameters, Math.max(1, budget)).orElse(parameters);
    }

    /**
     * An accuracy target becomes the method's top-1 budget (svd's maxAccuracyDrop), which it measures on the job's
     * labelled training data, where the job has some and the parameters do not choose the size already; otherwise
     * the target is only checked against the result.
     */
    private static Map<String, Object> steerToAccuracy(CompressionMethod method, Map<String, Object> parameters,
                                                       JobRequest.Target target, Optional<DatasetRecord> train) {
        if (target == null || target.maxAccuracyDrop() == null || target.maxAccuracyDrop() <= 0
                || train.filter(DatasetRecord::labelled).isEmpty()) {
            return parameters;
        }
        return method.withAccuracyBudget(parameters, target.maxAccuracyDrop()).orElse(parameters);
    }

    /**
     * A speed target, at the batch size the job's report measures, chooses the method's sizes where it can (svd's
     * targetSpeedup; the accuracy target is then what fine-tuning and the report answer to) and the parameters do
     * not choose the size already; otherwise it turns on the per-layer speed check, so that no layer is kept in a
     * form that times slower than its dense form.
     */
    private static Map<String, Object> steerToSpeed(CompressionMethod method, Map<String, Object> parameters,
                                                    JobRequest.Target target, int batchSize) {
        if (target == null || target.speedup() == null) {
            return parameters;
        }
        return method.withSpeedTarget(parameters, target.speedup(), batchSize).orElse(parameters);
    }

    /**
     * Fine-tuning runs the model in the engine's interpreter, so every operator must be one it executes. Said up
     * front, naming the operators, rather than as a failed job later.
     */
    private static void requireRunnable(ModelRecord model, CompressionMethod method, Map<String, Object> parameters) {
        boolean trains = method.descriptor().needsTrainingData() || fineTuneRequested(parameters);
        if (!trains) {
            return;
        }
        List<String> unsupported = model.summary().unsupportedOperators().stream()
                .filter(op -> !SupportedOperators.isSupported("", op)).toList();
        if (!unsupported.isEmpty()) {
            // svd without fine-tuning is advised only where svd would find a layer to factorize
            String advice = !model.summary().layers().isEmpty()
                    ? "; use svd without fineTune, or export the model without them"
                    : !model.summary().subgraphLayers().isEmpty()
                    ? "; use svd without fineTune and with onlyIfFaster false, which truncates the layers inside its "
                    + "If/Loop/Scan subgraphs, or export the model without them"
                    : "; nor can a method without fine-tuning help: the model has no Gemm, MatMul or Conv layer and "
                    + "no recurrent node";
            throw new UnsupportedOperatorsException("method '" + method.descriptor().name() + "' fine-tunes the model, "
                    + "and the engine cannot run its operator(s) " + String.join(", ", unsupported) + advice,
                    unsupported);
        }
    }

    /** Methods that can fine-tune after compressing take a boolean "fineTune" parameter. */
    private static boolean fineTuneRequested(Map<String, Object> parameters) {
        return parameters != null && Boolean.parseBoolean(String.valueOf(parameters.get("fineTune")));
    }

    private Optional<DatasetRecord> dataset(UUID tenant, String field, UUID id, List<String> errors) {
        if (id == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(datasets.get(tenant, id));
        } catch (NotFoundException e) {
            errors.add(field + ": dataset " + id + " not found");
            return Optional.empty();
        }
    }

    public JobRecord get(UUID tenantId, UUID id) {
        return jobs.find(tenantId, id).orElseThrow(() -> new NotFoundException("job", id));
    }

    public Page<JobRecord> list(UUID tenantId, JobStatus status, String cursor, int limit) {
        List<JobRecord> rows = jobs.list(tenantId, status, cursor == null ? null : Cursor.decode(cursor), limit + 1);
        return Page.of(rows, limit, j -> new Cursor(j.submission().createdAt(), j.id()));
    }

    /**
     * One page of the job's events after {@code afterId}: at most {@code limit}, whether more were written after
     * them, and how many the job has written in all.
     */
    public EventPage eventPage(UUID tenantId, UUID id, long afterId, int limit) {
        get(tenantId, id);
        List<JobEvent> found = events.list(id, afterId, limit + 1);
        boolean more = found.size() > limit;
        return new EventPage(more ? found.subList(0, limit) : found, more, events.count(id));
    }

    /** @param more whether events after these exist already; @param total the job's events so far */
    public record EventPage(List<JobEvent> items, boolean more, long total) {
    }

    /**
     * A queued job is cancelled at once. A running one is flagged and interrupted; its worker records the
     * cancellation when it stops, normally within a second.
     */
    public JobRecord cancel(Caller caller, UUID id) {
        JobRecord job = get(caller.tenantId(), id);
        if (job.run().status().isTerminal()) {
            throw new ConflictException("job " + id + " has already " + job.run().status().wire()
                    + "; it cannot be cancelled");
        }
        jobs.requestCancel(id);
        if (job.run().status() == JobStatus.QUEUED
                && stateMachine.apply(id, new JobChange.Cancel(), caller.actor(), "cancelled before it started")) {
            queue.remove(id);
            return get(caller.tenantId(), id);
        }
        events.append(id, Times.now(clock), "log", "cancellation requested", Map.of(), caller.actor());
        queue.interrupt(id);
        return get(caller.tenantId(), id);
    }

    private String hash(JobRequest request) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(json.writeCanonical(request).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
