package io.caas.service.dataset;

import io.caas.service.paging.Cursor;
import io.caas.service.persistence.KeysetPages;
import io.caas.service.storage.ObjectReference;
import io.caas.service.storage.StoredObjectOwner;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

@Repository
public class DatasetRepository implements StoredObjectOwner {

    private final JdbcClient jdbc;

    public DatasetRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    public void insert(DatasetRecord d) {
        jdbc.sql("""
                insert into datasets (id, tenant_id, name, filename, format, size_bytes, sha256, storage_key, samples,
                                      sample_shape, inputs, classes, labelled, created_at)
                values (:id, :tenant, :name, :filename, :format, :size, :sha, :key, :samples, :shape, :inputs,
                        :classes, :labelled, :created)""")
                .param("id", d.id()).param("tenant", d.tenantId()).param("name", d.name())
                .param("filename", d.filename())
                .param("format", d.format()).param("size", d.sizeBytes()).param("sha", d.sha256())
                .param("key", d.storageKey()).param("samples", d.samples())
                .param("shape", dims(d.sampleShape()))
                .param("inputs", d.inputs().stream().map(i -> i.name() + "\t" + dims(i.sampleShape()))
                        .collect(Collectors.joining("\n")))
                .param("classes", d.classes()).param("labelled", d.labelled()).param("created", d.createdAt())
                .update();
    }

    /** The tenant's dataset; another tenant's id finds nothing, exactly like an id that never existed. */
    public Optional<DatasetRecord> find(UUID tenantId, UUID id) {
        return jdbc.sql("select * from datasets where id = :id and tenant_id = :tenant")
                .param("id", id).param("tenant", tenantId).query(this::map).optional();
    }

    /** The tenant's datasets, newest first, keyset-paginated. */
    public List<DatasetRecord> list(UUID tenantId, Cursor after, int limit) {
        return KeysetPages.newestFirst(jdbc, "datasets", "tenant_id = :tenant", Map.of("tenant", tenantId), after,
                limit, this::map);
    }

    public boolean delete(UUID tenantId, UUID id) {
        return jdbc.sql("delete from datasets where id = :id and tenant_id = :tenant")
                .param("id", id).param("tenant", tenantId).update() == 1;
    }

    private static String dims(List<Long> shape) {
        return shape.stream().map(String::valueOf).collect(Collectors.joining(","));
    }

    private static List<Long> dims(String shape) {
        return shape.isEmpty() ? List.of() : Arrays.stream(shape.split(",")).map(Long::valueOf).toList();
    }

    /** One input per line, its name and its dims separated by a tab (npz keys are file names: no tabs, no lines). */
    private static List<DatasetRecord.DatasetInputShape> inputs(String stored) {
        if (stored == null || stored.isEmpty()) {
            return List.of();
        }
        return Arrays.stream(stored.split("\n")).map(line -> {
            int tab = line.lastIndexOf('\t');
            return new DatasetRecord.DatasetInputShape(line.substring(0, tab), dims(line.substring(tab + 1)));
        }).toList();
    }

    private DatasetRecord map(ResultSet rs, int row) throws SQLException {
        return new DatasetRecord(rs.getObject("id", UUID.class), rs.getObject("tenant_id", UUID.class),
                rs.getString("name"), rs.getString("filename"),
                rs.getString("format"), rs.getLong("size_bytes"), rs.getString("sha256"), rs.getString("storage_key"),
                rs.getInt("samples"), dims(rs.getString("sample_shape")), inputs(rs.getString("inputs")),
                rs.getInt("classes"), rs.getBoolean("labelled"),
                rs.getObject("created_at", OffsetDateTime.class));
    }

    @Override
    public List<ObjectReference> references() {
        return jdbc.sql("select id, storage_key from datasets")
                .query((rs, row) -> new ObjectReference("dataset " + rs.getString("id"), rs.getString("storage_key")))
                .list();
    }
}
