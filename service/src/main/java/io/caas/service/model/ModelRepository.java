package io.caas.service.model;

import com.fasterxml.jackson.core.type.TypeReference;
import io.caas.engine.cost.MacCount;
import io.caas.engine.onnx.ModelSummary;
import io.caas.service.method.MethodCatalog;
import io.caas.service.paging.Cursor;
import io.caas.service.persistence.Json;
import io.caas.service.persistence.KeysetPages;
import io.caas.service.storage.ObjectReference;
import io.caas.service.storage.StoredObjectOwner;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

@Repository
public class ModelRepository implements StoredObjectOwner {

    private static final TypeReference<List<MethodCatalog.Offer>> OFFERS = new TypeReference<>() {
    };

    private final JdbcClient jdbc;
    private final Json json;

    public ModelRepository(JdbcClient jdbc, Json json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    public void insert(ModelRecord m) {
        jdbc.sql("""
                insert into models (id, tenant_id, name, filename, size_bytes, sha256, storage_key, summary, macs,
                                    method_offers, created_at)
                values (:id, :tenant, :name, :filename, :size, :sha, :key, :summary, :macs, :offers, :created)""")
                .param("id", m.id()).param("tenant", m.tenantId()).param("name", m.name()).param("filename", m.filename())
                .param("size", m.sizeBytes()).param("sha", m.sha256()).param("key", m.storageKey())
                .param("summary", json.write(m.summary()))
                .param("macs", json.write(m.macs())).param("offers", json.write(m.offers()))
                .param("created", m.createdAt())
                .update();
    }

    /** The tenant's model; another tenant's id finds nothing, exactly like an id that never existed. */
    public Optional<ModelRecord> find(UUID tenantId, UUID id) {
        return jdbc.sql("select * from models where id = :id and tenant_id = :tenant")
                .param("id", id).param("tenant", tenantId).query(this::map).optional();
    }

    /** The tenant's models, newest first, keyset-paginated. */
    public List<ModelRecord> list(UUID tenantId, Cursor after, int limit) {
        return KeysetPages.newestFirst(jdbc, "models", "tenant_id = :tenant", Map.of("tenant", tenantId), after,
                limit, this::map);
    }

    public boolean delete(UUID tenantId, UUID id) {
        return jdbc.sql("delete from models where id = :id and tenant_id = :tenant")
                .param("id", id).param("tenant", tenantId).update() == 1;
    }

    private ModelRecord map(ResultSet rs, int row) throws SQLException {
        return new ModelRecord(rs.getObject("id", UUID.class), rs.getObject("tenant_id", UUID.class),
                rs.getString("name"), rs.getString("filename"),
                rs.getLong("size_bytes"), rs.getString("sha256"), rs.getString("storage_key"),
                json.read(rs.getString("summary"), ModelSummary.class),
                json.read(rs.getString("macs"), MacCount.class),
                json.read(rs.getString("method_offers"), OFFERS),
                rs.getObject("created_at", OffsetDateTime.class));
    }

    @Override
    public List<ObjectReference> references() {
        return jdbc.sql("select id, storage_key from models")
                .query((rs, row) -> new ObjectReference("model " + rs.getString("id"), rs.getString("storage_key")))
                .list();
    }
}
