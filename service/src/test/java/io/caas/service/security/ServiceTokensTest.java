package io.caas.service.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.caas.service.config.CaasProperties;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServiceTokensTest {

    @TempDir
    Path dataDir;

    CaasProperties properties(String admin, String metrics) {
        return new CaasProperties(dataDir.toString(), List.of("api"), null, null, null,
                new CaasProperties.Security(admin, metrics), null);
    }

    @Test
    void unconfiguredTokensAreGeneratedIntoPrivateFilesAndKeptAcrossRestarts() throws Exception {
        ServiceTokens first = new ServiceTokens(properties("", null));
        Path admin = dataDir.resolve("secrets/admin-token");
        Path metrics = dataDir.resolve("secrets/metrics-token");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(admin.getParent())))
                .isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(admin))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(metrics))).isEqualTo("rw-------");
        String adminToken = Files.readString(admin).strip();
        String metricsToken = Files.readString(metrics).strip();
        assertThat(adminToken).hasSizeGreaterThanOrEqualTo(43).isNotEqualTo(metricsToken);

        assertThat(first.isAdmin(adminToken)).isTrue();
        assertThat(first.isMetrics(adminToken)).isFalse();
        assertThat(first.isMetrics(metricsToken)).isTrue();
        assertThat(first.isAdmin(metricsToken)).isFalse();

        ServiceTokens restarted = new ServiceTokens(properties(null, ""));
        assertThat(restarted.isAdmin(adminToken)).as("the same token after a restart").isTrue();
    }

    @Test
    void configuredTokensAreUsedAndNoFileIsWritten() {
        ServiceTokens tokens = new ServiceTokens(properties("admin-token-from-env-123", "metrics-token-from-env-123"));
        assertThat(tokens.isAdmin("admin-token-from-env-123")).isTrue();
        assertThat(tokens.isAdmin("admin-token-from-env-12")).isFalse();
        assertThat(tokens.isMetrics("metrics-token-from-env-123")).isTrue();
        assertThat(dataDir.resolve("secrets")).doesNotExist();
    }

    @Test
    void aShortConfiguredTokenIsRefusedAtStart() {
        assertThatThrownBy(() -> new ServiceTokens(properties("secret", "metrics-token-from-env-123")))
                .hasMessageContaining("CAAS_ADMIN_TOKEN").hasMessageContaining("16");
    }
}
