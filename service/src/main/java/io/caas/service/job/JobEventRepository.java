package io.caas.service.job;

import com.fasterxml.jackson.core.type.TypeReference;
import io.caas.service.persistence.Json;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

@Repository
public class JobEventRepository {

    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() { };

    private final JdbcClient jdbc;
    private final Json json;

    public JobEventRepository(JdbcClient jdbc, Json json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    public void append(UUID jobId, OffsetDateTime at, String type, String message, Map<String, Object> data,
                       String actor) {
        jdbc.sql("""
                insert into job_events (job_id, at, type, message, data, actor)
                values (:job, :at, :type, :message, :data, :actor)""")
                .param("job", jobId).param("at", at).param("type", type).param("message", message)
                .param("actor", JobRepository.truncate(actor, 255))
                .param("data", data == null || data.isEmpty() ? null : json.write(data)).update();
    }

    /** Events in order, after the event id {@code afterId} (0 for all), at most {@code limit}. */
    public List<JobEvent> list(UUID jobId, long afterId, int limit) {
        return jdbc.sql("""
                select * from job_events where job_id = :job and id > :after order by id limit :limit""")
                .param("job", jobId).param("after", afterId).param("limit", limit).query(this::map).list();
    }

    /** How many events the job has written so far. */
    public long count(UUID jobId) {
        return jdbc.sql("select count(*) from job_events where job_id = :job").param("job", jobId)
                .query(Long.class).single();
    }

    private JobEvent map(ResultSet rs, int row) throws SQLException {
        return new JobEvent(rs.getLong("id"), rs.getObject("at", OffsetDateTime.class), rs.getString("type"),
                rs.getString("message"), json.read(rs.getString("data"), MAP), rs.getString("actor"));
    }
}
