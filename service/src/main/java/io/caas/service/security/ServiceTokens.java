package io.caas.service.security;

import io.caas.service.config.CaasProperties;
import io.caas.service.storage.PrivateFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * The two operator credentials: the admin token (tenants, keys, actuator) and the metrics token (Prometheus
 * scrape only, so a scraper's secret cannot create keys). Set them by environment in a cluster; a single node
 * left unconfigured makes its own and keeps them in files readable by its user alone, so the service is never
 * open by default.
 */
@Component
public class ServiceTokens {

    private static final Logger log = LoggerFactory.getLogger(ServiceTokens.class);

    private final byte[] admin;
    private final byte[] metrics;

    ServiceTokens(CaasProperties properties) {
        Path secrets = Path.of(properties.dataDir()).resolve("secrets");
        CaasProperties.Security configured = properties.security();
        this.admin = bytes(configuredOrFile(configured == null ? null : configured.adminToken(),
                secrets.resolve("admin-token"), "CAAS_ADMIN_TOKEN"));
        this.metrics = bytes(configuredOrFile(configured == null ? null : configured.metricsToken(),
                secrets.resolve("metrics-token"), "CAAS_METRICS_TOKEN"));
    }

    boolean isAdmin(String token) {
        return matches(admin, token);
    }

    boolean isMetrics(String token) {
        return matches(metrics, token);
    }

    /** Constant-time, so response timing does not reveal how much of a guess was right. */
    private static boolean matches(byte[] expected, String token) {
        return MessageDigest.isEqual(expected, bytes(token));
    }

    private static String configuredOrFile(String configured, Path file, String variable) {
        if (configured != null && !configured.isBlank()) {
            if (configured.length() < 16) {
                throw new IllegalStateException(variable + " must be at least 16 characters");
            }
            return configured;
        }
        try {
            if (!Files.exists(file)) {
                create(file);
                log.warn("{} is not set: generated one into {} (readable by this user only)", variable, file);
            }
            return Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create " + file + "; set " + variable, e);
        }
    }

    private static void create(Path file) throws IOException {
        PrivateFiles.createFolders(file.getParent());
        byte[] bits = new byte[32];
        new SecureRandom().nextBytes(bits);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(bits);
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (FileAlreadyExistsException e) {
            return; // another node on the same folder made it first; use theirs
        } catch (UnsupportedOperationException e) {
            Files.createFile(file);
        }
        Files.writeString(file, token + "\n", StandardCharsets.UTF_8);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
