package io.caas.service.support;

import java.util.Optional;
import org.testcontainers.utility.DockerImageName;

/**
 * The images the container tests run, named by environment variables so that a machine without an image registry
 * (this project's CI) passes the local ones that scripts/build-base-images.sh and {@code docker build} made.
 */
public final class ContainerImages {

    public static final String POSTGRES_VARIABLE = "CAAS_TEST_POSTGRES_IMAGE";
    public static final String APP_VARIABLE = "CAAS_TEST_APP_IMAGE";

    private ContainerImages() {
    }

    /** PostgreSQL 15, the official image unless {@value #POSTGRES_VARIABLE} names another that starts like it. */
    public static DockerImageName postgres() {
        return DockerImageName.parse(variable(POSTGRES_VARIABLE).orElse("postgres:15")).asCompatibleSubstituteFor("postgres");
    }

    /** The service's image, built from this checkout's Dockerfile; there is no published one to fall back to. */
    public static Optional<DockerImageName> app() {
        return variable(APP_VARIABLE).map(DockerImageName::parse);
    }

    private static Optional<String> variable(String name) {
        return Optional.ofNullable(System.getenv(name)).map(String::strip).filter(s -> !s.isEmpty());
    }
}
