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
class TenantRepository {

    private final JdbcClient jdbc;

    TenantRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    void insert(Tenant t) {
        jdbc.sql("insert into tenants (id, name, created_at) values (:id, :name, :created)")
                .param("id", t.id()).param("name", t.name()).param("created", t.createdAt()).update();
    }

    Optional<Tenant> find(UUID id) {
        return jdbc.sql("select * from tenants where id = :id").param("id", id).query(this::map).optional();
    }

    List<Tenant> list() {
        return jdbc.sql("select * from tenants order by created_at, id").query(this::map).list();
    }

    private Tenant map(ResultSet rs, int row) throws SQLException {
        return new Tenant(rs.getObject("id", UUID.class), rs.getString("name"),
                rs.getObject("created_at", OffsetDateTime.class));
    }
}
