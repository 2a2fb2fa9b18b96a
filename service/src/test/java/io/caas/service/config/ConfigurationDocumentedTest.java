package io.caas.service.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.InputStream;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.validation.ValidationAutoConfiguration;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;

/**
 * The settings are defined once: every {@code caas.*} setting is a component of {@link CaasProperties}, has its
 * default (and the environment variable that overrides it) in application.yml, and its row in
 * docs/configuration.md with that same default and variable. A setting out of range stops the node at start.
 */
class ConfigurationDocumentedTest {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Z_]+):(.*)}");
    private static final Pattern TICKED = Pattern.compile("`([^`]*)`");

    /** A setting as application.yml gives it: its default and the variable that overrides it, if any. */
    private record Default(String value, String environment) {
    }

    /** A setting as the documentation's table gives it. */
    private record Documented(String value, String environment) {
    }

    @Test
    void everySettingIsBoundDefaultedAndDocumentedOnce() throws Exception {
        Map<String, Default> defaults = defaults();
        Map<String, Documented> documented = documented();

        assertThat(new TreeSet<>(defaults.keySet())).as("application.yml's caas.* settings against CaasProperties")
                .isEqualTo(new TreeSet<>(bound(CaasProperties.class, "caas")));
        assertThat(new TreeSet<>(documented.keySet())).as("docs/configuration.md's caas.* rows against application.yml")
                .isEqualTo(new TreeSet<>(defaults.keySet()));
        documented.forEach((key, doc) -> {
            Default yml = defaults.get(key);
            if (!doc.value().equals("generated")) {
                assertThat(doc.value()).as("default of %s", key).isEqualTo(yml.value());
            } else {
                assertThat(yml.value()).as("%s is generated when left empty", key).isEmpty();
            }
            assertThat(doc.environment()).as("environment variable of %s", key).isEqualTo(yml.environment());
        });
    }

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties(CaasProperties.class)
    static class PropertiesOnly {
    }

    @Test
    void aSettingOutOfRangeStopsTheNodeAndNamesIt() {
        ApplicationContextRunner runner = new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(ValidationAutoConfiguration.class))
                .withUserConfiguration(PropertiesOnly.class)
                .withInitializer(context -> {
                    try {
                        new org.springframework.boot.env.YamlPropertySourceLoader().load("application.yml",
                                new org.springframework.core.io.ClassPathResource("application.yml"))
                                .forEach(context.getEnvironment().getPropertySources()::addLast);
                    } catch (java.io.IOException e) {
                        throw new IllegalStateException(e);
                    }
                });
        runner.run(context -> assertThat(context).hasNotFailed()
                .getBean(CaasProperties.class).satisfies(p -> assertThat(p.jobs().evaluation().batchSize()).isEqualTo(32)));
        runner.withPropertyValues("caas.jobs.evaluation.batch-size=0").run(context -> assertThat(context).hasFailed()
                .getFailure().rootCause().hasMessageContaining("caas.jobs.evaluation.batchSize"));
        runner.withPropertyValues("caas.health.port=70000").run(context -> assertThat(context).hasFailed()
                .getFailure().rootCause().hasMessageContaining("caas.health.port"));
        // Spring Boot's failure report prints the cause chain: the property, the value and the accepted ones
        runner.withPropertyValues("caas.jobs.training-device=tpu").run(context -> assertThat(context).hasFailed()
                .getFailure().hasStackTraceContaining("Failed to bind properties under 'caas.jobs.training-device'"));
        runner.withPropertyValues("caas.jobs.training-device=GPU").run(context -> assertThat(context).hasNotFailed()
                .getBean(CaasProperties.class).satisfies(p -> assertThat(p.jobs().trainingDevice())
                        .isEqualTo(io.caas.engine.runtime.DeviceChoice.GPU)));
    }

    /** The kebab-case paths of a properties record's leaves. */
    private static List<String> bound(Class<?> type, String prefix) {
        List<String> keys = new ArrayList<>();
        for (RecordComponent c : type.getRecordComponents()) {
            String key = prefix + "." + c.getName().replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase();
            if (c.getType().isRecord()) {
                keys.addAll(bound(c.getType(), key));
            } else {
                keys.add(key);
            }
        }
        return keys;
    }

    private static Map<String, Default> defaults() throws Exception {
        JsonNode root;
        try (InputStream in = ConfigurationDocumentedTest.class.getResourceAsStream("/application.yml")) {
            root = new ObjectMapper(new YAMLFactory()).readTree(in);
        }
        Map<String, Default> out = new TreeMap<>();
        flatten(root.get("caas"), "caas", out);
        return out;
    }

    private static void flatten(JsonNode node, String path, Map<String, Default> out) {
        if (node.isObject()) {
            node.fields().forEachRemaining(e -> flatten(e.getValue(), path + "." + e.getKey(), out));
            return;
        }
        String raw = node.asText();
        Matcher m = PLACEHOLDER.matcher(raw);
        out.put(path, m.matches() ? new Default(m.group(2), m.group(1)) : new Default(raw, null));
    }

    /**
     * The table's caas.* rows. A row may group settings: "`caas.limits.requests-per-minute` / `request-burst`",
     * defaults "`600` / `120`" and variables likewise, a short name taken as a sibling of the first.
     */
    private static Map<String, Documented> documented() throws Exception {
        Map<String, Documented> out = new TreeMap<>();
        for (String line : Files.readAllLines(Path.of("../docs/configuration.md"))) {
            String[] cells = line.split("\\|");
            if (cells.length < 5 || !cells[2].contains("`caas.")) {
                continue;
            }
            List<String> keys = ticked(cells[2]);
            List<String> values = ticked(cells[3]);
            List<String> variables = ticked(cells[1]);
            String parent = keys.get(0).substring(0, keys.get(0).lastIndexOf('.'));
            for (int i = 0; i < keys.size(); i++) {
                String key = keys.get(i).startsWith("caas.") ? keys.get(i) : parent + "." + keys.get(i);
                String value = values.isEmpty() ? cells[3].trim() : values.get(i);
                out.put(key, new Documented(value, variables.isEmpty() ? null : variables.get(i)));
            }
        }
        return out;
    }

    private static List<String> ticked(String cell) {
        List<String> out = new ArrayList<>();
        Matcher m = TICKED.matcher(cell);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }
}
