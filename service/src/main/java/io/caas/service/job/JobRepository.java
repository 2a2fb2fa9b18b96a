package io.caas.service.job;

import io.caas.service.storage.ObjectReference;
import io.caas.service.storage.StoredObjectOwner;
import com.fasterxml.jackson.core.type.TypeReference;
import io.caas.service.paging.Cursor;
import io.caas.service.persistence.Json;
import io.caas.service.persistence.KeysetPages;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

@Repository
public class JobRepository implements StoredObjectOwner {

    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() { };

    private final JdbcClient jdbc;
    private final Json json;

    public JobRepository(JdbcClient jdbc, Json json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    public void insert(JobRecord j) {
        JobRecord.Submission s = j.submission();
        jdbc.sql("""
                insert into jobs (id, tenant_id, model_id, method, parameters, train_dataset_id, eval_dataset_id, budget,
                                  target, status, progress, attempts, cancel_requested, idempotency_key, request_hash,
                                  created_at, submitted_by, measure)
                values (:id, :tenant, :model, :method, :params, :train, :eval, :budget, :target,
                        :status, 0, 0, false, :key, :hash, :created, :by, :measure)""")
                .param("id", j.id()).param("tenant", j.tenantId()).param("by", s.submittedBy())
                .param("model", s.modelId()).param("method", s.method()).param("params", json.write(s.parameters()))
                .param("train", s.trainDatasetId()).param("eval", s.evalDatasetId())
                .param("budget", json.write(s.budget())).param("target", json.write(s.target()))
                .param("status", j.run().status().name()).param("measure", json.write(s.measure()))
                .param("key", s.idempotencyKey()).param("hash", s.requestHash()).param("created", s.createdAt())
                .update();
    }

    public Optional<JobRecord> find(UUID id) {
        return jdbc.sql("select * from jobs where id = :id").param("id", id).query(this::map).optional();
    }

    /** The tenant's job; another tenant's id finds nothing, exactly like an id that never existed. */
    public Optional<JobRecord> find(UUID tenantId, UUID id) {
        return jdbc.sql("select * from jobs where id = :id and tenant_id = :tenant")
                .param("id", id).param("tenant", tenantId).query(this::map).optional();
    }

    public Optional<JobRecord> findByIdempotencyKey(UUID tenantId, String key) {
        return jdbc.sql("select * from jobs where tenant_id = :tenant and idempotency_key = :key")
                .param("tenant", tenantId).param("key", key).query(this::map).optional();
    }

    /** The tenant's jobs, newest first, keyset-paginated, optionally of one status. */
    public List<JobRecord> list(UUID tenantId, JobStatus status, Cursor after, int limit) {
        if (status == null) {
            return KeysetPages.newestFirst(jdbc, "jobs", "tenant_id = :tenant", Map.of("tenant", tenantId), after,
                    limit, this::map);
        }
        return KeysetPages.newestFirst(jdbc, "jobs", "tenant_id = :tenant and status = :status",
                Map.of("tenant", tenantId, "status", status.name()), after, limit, this::map);
    }

    /** Jobs of the tenant that hold or wait for a worker. */
    public long countActiveForTenant(UUID tenantId) {
        return jdbc.sql("select count(*) from jobs where tenant_id = :tenant and status in ('QUEUED', 'RUNNING')")
                .param("tenant", tenantId).query(Long.class).single();
    }

    public long countByStatus(JobStatus status) {
        return jdbc.sql("select count(*) from jobs where status = :status").param("status", status.name())
                .query(Long.class).single();
    }

    public long countActiveForModel(UUID modelId) {
        return jdbc.sql("select count(*) from jobs where model_id = :model and status in ('QUEUED', 'RUNNING')")
                .param("model", modelId).query(Long.class).single();
    }

    public long countActiveForDataset(UUID datasetId) {
        return jdbc.sql("""
                select count(*) from jobs where status in ('QUEUED', 'RUNNING')
                  and (train_dataset_id = :ds or eval_dataset_id = :ds)""")
                .param("ds", datasetId).query(Long.class).single();
    }

    /**
     * Applies {@code transition} if the job is in one of its source states, with the update's columns in the same
     * UPDATE. Returns false if the job was not in a source state (another node got there first).
     */
    boolean transition(UUID id, JobTransition transition, JobUpdate update) {
        Map<String, Object> set = new LinkedHashMap<>();
        set.put("message", update.message());
        set.put("started_at", update.startedAt());
        set.put("heartbeat_at", update.heartbeatAt());
        set.put("attempts", update.attempts());
        set.put("worker", update.worker());
        set.put("progress", update.progress());
        set.put("finished_at", update.finishedAt());
        set.put("error", update.error());
        if (update.artifact() != null) {
            set.put("artifact_key", update.artifact().key());
            set.put("artifact_sha256", update.artifact().sha256());
            set.put("artifact_bytes", update.artifact().sizeBytes());
        }
        set.put("summary", update.summaryJson());
        set.put("report", update.reportJson());
        set.values().removeIf(java.util.Objects::isNull);
        StringBuilder sql = new StringBuilder("update jobs set status = :to");
        set.keySet().forEach(column -> sql.append(", ").append(column).append(" = :").append(column));
        sql.append(" where id = :id and status in (:from)");
        JdbcClient.StatementSpec spec = jdbc.sql(sql.toString())
                .param("to", transition.to().name()).param("id", id)
                .param("from", transition.from().stream().map(Enum::name).toList());
        for (Map.Entry<String, Object> e : set.entrySet()) {
            spec = spec.param(e.getKey(), e.getValue());
        }
        return spec.update() == 1;
    }

    /** Records progress while running; ignored once the job has left RUNNING. */
    public void progress(UUID id, double fraction, String message, OffsetDateTime at) {
        jdbc.sql("""
                update jobs set progress = :p, message = :m, heartbeat_at = :at
                where id = :id and status = 'RUNNING'""")
                .param("p", fraction).param("m", truncate(message, 1024)).param("at", at).param("id", id).update();
    }

    public void heartbeat(UUID id, OffsetDateTime at) {
        jdbc.sql("update jobs set heartbeat_at = :at where id = :id and status = 'RUNNING'")
                .param("at", at).param("id", id).update();
    }

    public boolean requestCancel(UUID id) {
        return jdbc.sql("update jobs set cancel_requested = true where id = :id and status in ('QUEUED', 'RUNNING')")
                .param("id", id).update() == 1;
    }

    public boolean isCancelRequested(UUID id) {
        return jdbc.sql("select cancel_requested from jobs where id = :id").param("id", id)
                .query(Boolean.class).optional().orElse(false);
    }

    static String truncate(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }

    private JobRecord map(ResultSet rs, int row) throws SQLException {
        JobRecord.Submission submission = new JobRecord.Submission(rs.getObject("model_id", UUID.class),
                rs.getString("method"), json.read(rs.getString("parameters"), MAP),
                rs.getObject("train_dataset_id", UUID.class), rs.getObject("eval_dataset_id", UUID.class),
                json.read(rs.getString("budget"), JobRequest.Budget.class),
                json.read(rs.getString("target"), JobRequest.Target.class),
                json.read(rs.getString("measure"), JobRequest.Measure.class), rs.getString("idempotency_key"),
                rs.getString("request_hash"), rs.getObject("created_at", OffsetDateTime.class),
                rs.getString("submitted_by"));
        JobRecord.Run run = new JobRecord.Run(JobStatus.valueOf(rs.getString("status")), rs.getDouble("progress"),
                rs.getString("message"), rs.getInt("attempts"), rs.getString("worker"),
                rs.getBoolean("cancel_requested"), rs.getObject("started_at", OffsetDateTime.class),
                rs.getObject("heartbeat_at", OffsetDateTime.class));
        String artifactKey = rs.getString("artifact_key");
        JobRecord.Artifact artifact = artifactKey == null ? null : new JobRecord.Artifact(artifactKey,
                rs.getString("artifact_sha256"), rs.getLong("artifact_bytes"));
        JobRecord.Outcome outcome = new JobRecord.Outcome(rs.getObject("finished_at", OffsetDateTime.class),
                rs.getString("error"), artifact, json.read(rs.getString("summary"), JobSummary.class),
                rs.getString("report"));
        return new JobRecord(rs.getObject("id", UUID.class), rs.getObject("tenant_id", UUID.class), submission, run,
                outcome);
    }

    @Override
    public List<ObjectReference> references() {
        return jdbc.sql("select id, artifact_key from jobs where artifact_key is not null")
                .query((rs, row) -> new ObjectReference("job " + rs.getString("id") + "'s artifact",
                        rs.getString("artifact_key")))
                .list();
    }
}
