package io.caas.service.persistence;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Locale;
import javax.sql.DataSource;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * Makes a commit the client is about to be told of survive a crash of the machine, not only of the process.
 * PostgreSQL's commit already waits for its log to reach the disk ({@code synchronous_commit} on, its default;
 * where the server is set to {@code off}, {@link PostgresDurableSessions} raises it for the service's sessions).
 * The embedded H2 writes each commit to its file at once ({@code WRITE_DELAY=0} in the default URL) but leaves it
 * in the operating system's cache; {@code CHECKPOINT SYNC} forces it down (about 3 ms, measured here), which is
 * paid where a 2xx acknowledges new data: uploads, job submissions, tenants and keys.
 */
@Component
public class DurableCommits {

    private final JdbcClient jdbc;
    private final boolean h2;

    public DurableCommits(JdbcClient jdbc, DataSource dataSource) throws SQLException {
        this.jdbc = jdbc;
        try (Connection c = dataSource.getConnection()) {
            this.h2 = c.getMetaData().getDatabaseProductName().toLowerCase(Locale.ROOT).contains("h2");
        }
    }

    /** Call after the commit (autocommit statements: after the statement), before answering. */
    public void sync() {
        if (h2) {
            jdbc.sql("CHECKPOINT SYNC").update();
        }
    }
}
