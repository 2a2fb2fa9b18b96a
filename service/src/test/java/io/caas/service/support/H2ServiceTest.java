package io.caas.service.support;

import java.nio.file.Path;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The service as it runs by default (H2 file database, filesystem store, api and worker roles), on a random port,
 * with its data in a fresh folder. All subclasses share one application context.
 */
// Metrics export is off in tests by default; the Prometheus scrape is part of what is tested.
@AutoConfigureObservability
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "caas.limits.max-upload-bytes=" + H2ServiceTest.UPLOAD_LIMIT,
        "jobrunr.background-job-server.poll-interval-in-seconds=5"})
public abstract class H2ServiceTest {

    /** Small enough that a real model (PaddleOCR recogniser, 10.8 MB) is over it. */
    public static final long UPLOAD_LIMIT = 5L * 1024 * 1024;

    @LocalServerPort
    protected int port;
    /** A client calling as the shared test tenant. */
    protected Api api;

    protected static final Path DATA_DIR = TempDirs.create("caas-h2-test");

    @BeforeEach
    void apiClient() {
        api = new Api(port);
    }

    @DynamicPropertySource
    static void dataDir(DynamicPropertyRegistry registry) {
        registry.add("caas.data-dir", DATA_DIR::toString);
    }
}
