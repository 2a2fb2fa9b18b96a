package io.caas.service.tenant;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

@Repository
class ApiKeyRepository {

    private final JdbcClient jdbc;

    ApiKeyRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    void insert(ApiKey k) {
        jdbc.sql("""
                insert into api_keys (id, tenant_id, name, prefix, hash, created_at)
                values (:id, :tenant, :name, :prefix, :hash, :created)""")
                .param("id", k.id()).param("tenant", k.tenantId()).param("name", k.name())
                .param("prefix", k.prefix()).param("hash", k.hash()).param("created", k.createdAt()).update();
    }

    Optional<ApiKey> findByHash(String hash) {
        return jdbc.sql("select * from api_keys where hash = :hash").param("hash", hash).query(this::map).optional();
    }

    List<ApiKey> listForTenant(UUID tenantId) {
        return jdbc.sql("select * from api_keys where tenant_id = :tenant order by created_at, id")
                .param("tenant", tenantId).query(this::map).list();
    }

    boolean revoke(UUID id, OffsetDateTime at) {
        return jdbc.sql("update api_keys set revoked_at = :at where id = :id and revoked_at is null")
                .param("at", at).param("id", id).update() == 1;
    }

    Optional<ApiKey> find(UUID id) {
        return jdbc.sql("select * from api_keys where id = :id").param("id", id).query(this::map).optional();
    }

    private ApiKey map(ResultSet rs, int row) throws SQLException {
        return new ApiKey(rs.getObject("id", UUID.class), rs.getObject("tenant_id", UUID.class),
                rs.getString("name"), rs.getString("prefix"), rs.getString("hash"),
                rs.getObject("created_at", OffsetDateTime.class), rs.getObject("revoked_at", OffsetDateTime.class));
    }
}
