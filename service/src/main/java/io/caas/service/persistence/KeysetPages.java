package io.caas.service.persistence;

import io.caas.service.paging.Cursor;
import java.util.List;
import java.util.Map;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Newest-first keyset pagination over a table with (created_at, id): each page starts strictly after the cursor,
 * so rows inserted meanwhile neither repeat nor shift the next page.
 */
public final class KeysetPages {

    private KeysetPages() {
    }

    /**
     * @param table  a table name from code, never from a request
     * @param filter extra SQL condition with named parameters from {@code params}, or null
     */
    public static <T> List<T> newestFirst(JdbcClient jdbc, String table, String filter, Map<String, ?> params,
                                          Cursor after, int limit, RowMapper<T> mapper) {
        StringBuilder sql = new StringBuilder("select * from ").append(table).append(" where 1 = 1");
        if (filter != null) {
            sql.append(" and (").append(filter).append(")");
        }
        if (after != null) {
            sql.append(" and (created_at < :cursor_created or (created_at = :cursor_created and id < :cursor_id))");
        }
        sql.append(" order by created_at desc, id desc limit :limit");
        JdbcClient.StatementSpec spec = jdbc.sql(sql.toString()).param("limit", limit);
        for (Map.Entry<String, ?> e : params.entrySet()) {
            spec = spec.param(e.getKey(), e.getValue());
        }
        if (after != null) {
            spec = spec.param("cursor_created", after.createdAt()).param("cursor_id", after.id());
        }
        return spec.query(mapper).list();
    }
}
