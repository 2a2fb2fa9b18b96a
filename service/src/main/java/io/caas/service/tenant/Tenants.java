package io.caas.service.tenant;

import io.caas.service.config.Times;
import io.caas.service.persistence.DurableCommits;
import io.caas.service.problem.ConflictException;
import io.caas.service.problem.NotFoundException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.stereotype.Service;

/**
 * Tenants and their API keys. A key is 256 random bits, so a plain SHA-256 of it is enough at rest: a slow
 * password hash (bcrypt, argon2) protects guessable secrets, and would cost every request for nothing here.
 */
@Service
public class Tenants {

    private static final Logger log = LoggerFactory.getLogger(Tenants.class);
    private static final String KEY_PREFIX = "caas_";
    private static final int DISPLAYED_CHARACTERS = 12;

    private final TenantRepository tenants;
    private final ApiKeyRepository keys;
    private final DurableCommits durableCommits;
    private final SecureRandom random = new SecureRandom();
    private final Clock clock;

    Tenants(TenantRepository tenants, ApiKeyRepository keys, DurableCommits durableCommits, Clock clock) {
        this.clock = clock;
        this.tenants = tenants;
        this.keys = keys;
        this.durableCommits = durableCommits;
    }

    public Tenant create(String name) {
        Tenant tenant = new Tenant(UUID.randomUUID(), name, Times.now(clock));
        try {
            tenants.insert(tenant);
        } catch (DuplicateKeyException e) {
            throw new ConflictException("a tenant named '" + name + "' already exists");
        }
        durableCommits.sync();
        log.info("tenant {} created: {}", tenant.id(), name);
        return tenant;
    }

    public List<Tenant> list() {
        return tenants.list();
    }

    public Tenant get(UUID id) {
        return tenants.find(id).orElseThrow(() -> new NotFoundException("tenant", id));
    }

    public IssuedKey issueKey(UUID tenantId, String name) {
        get(tenantId);
        byte[] bits = new byte[32];
        random.nextBytes(bits);
        String secret = KEY_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bits);
        ApiKey key = new ApiKey(UUID.randomUUID(), tenantId, name, secret.substring(0, DISPLAYED_CHARACTERS),
                hash(secret), Times.now(clock), null);
        keys.insert(key);
        durableCommits.sync();
        log.info("API key {} ({}) issued to tenant {}", key.id(), name, tenantId);
        return new IssuedKey(key, secret);
    }

    public List<ApiKey> keys(UUID tenantId) {
        get(tenantId);
        return keys.listForTenant(tenantId);
    }

    public ApiKey revoke(UUID keyId) {
        ApiKey key = keys.find(keyId).orElseThrow(() -> new NotFoundException("API key", keyId));
        if (keys.revoke(keyId, Times.now(clock))) {
            log.info("API key {} of tenant {} revoked", keyId, key.tenantId());
        }
        return keys.find(keyId).orElseThrow();
    }

    /** The caller a bearer secret stands for, if it is a live key. */
    public Optional<Caller> authenticate(String secret) {
        if (!secret.startsWith(KEY_PREFIX)) {
            return Optional.empty();
        }
        return keys.findByHash(hash(secret)).filter(ApiKey::active)
                .map(k -> new Caller(k.tenantId(), k.id(), k.name()));
    }

    /** The SHA-256 of a key, as stored: what may be kept in memory of a key instead of the key itself. */
    public static String hash(String secret) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
