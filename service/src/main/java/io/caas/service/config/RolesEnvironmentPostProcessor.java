package io.caas.service.config;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Turns {@code caas.roles} into the switches of the parts that implement them, before any bean is made: JobRunr's
 * background job server runs only on worker nodes, the REST controllers only on API nodes. One setting, so an API
 * node cannot accidentally start consuming jobs.
 */
public class RolesEnvironmentPostProcessor implements EnvironmentPostProcessor {

    private static final Set<String> KNOWN = Set.of("api", "worker");

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment env, SpringApplication application) {
        String raw = env.getProperty("caas.roles", "api,worker");
        List<String> roles = Arrays.stream(raw.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        if (roles.isEmpty() || !KNOWN.containsAll(roles)) {
            throw new IllegalStateException("caas.roles must be a comma-separated subset of " + KNOWN + ", was '" + raw + "'");
        }
        env.getPropertySources().addFirst(new MapPropertySource("caasRoles", Map.of(
                "jobrunr.background-job-server.enabled", String.valueOf(roles.contains("worker")),
                "caas.api.enabled", String.valueOf(roles.contains("api")))));
    }
}
