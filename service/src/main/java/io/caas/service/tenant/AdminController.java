package io.caas.service.tenant;

import io.caas.service.config.ApiRole;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;
import java.net.URI;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** The operator's API (admin token): tenants and their API keys. */
@RestController
@RequestMapping("/v1/admin")
@ApiRole
@Tag(name = "admin")
class AdminController {

    private final Tenants tenants;

    AdminController(Tenants tenants) {
        this.tenants = tenants;
    }

    record TenantRequest(@NotBlank @Size(max = 255) String name) {
    }

    record KeyRequest(@NotBlank @Size(max = 255) String name) {
    }

    /**
     * An API key as listed; {@code key} is the secret itself, present only in the response that created it.
     *
     * @param prefix the key's first characters, to tell keys apart
     */
    record KeyResource(UUID id, UUID tenantId, String name, String prefix, OffsetDateTime createdAt,
                       OffsetDateTime revokedAt, String key) {

        static KeyResource of(ApiKey k, String secret) {
            return new KeyResource(k.id(), k.tenantId(), k.name(), k.prefix(), k.createdAt(), k.revokedAt(), secret);
        }
    }

    @PostMapping(value = "/tenants", consumes = MediaType.APPLICATION_JSON_VALUE)
    @ApiResponse(responseCode = "201", description = "Created", useReturnTypeSchema = true)
    @Operation(operationId = "createTenant", summary = "Create a tenant (admin token)")
    ResponseEntity<Tenant> createTenant(@Valid @RequestBody TenantRequest request) {
        Tenant t = tenants.create(request.name());
        return ResponseEntity.created(URI.create("/v1/admin/tenants/" + t.id())).body(t);
    }

    @GetMapping("/tenants")
    @Operation(operationId = "listTenants", summary = "List tenants (admin token)")
    List<Tenant> listTenants() {
        return tenants.list();
    }

    @PostMapping(value = "/tenants/{id}/keys", consumes = MediaType.APPLICATION_JSON_VALUE)
    @ApiResponse(responseCode = "201", description = "Created; the response holds the key, shown only this once",
            useReturnTypeSchema = true)
    @Operation(operationId = "createApiKey", summary = "Issue an API key to a tenant (admin token)")
    ResponseEntity<KeyResource> createKey(@PathVariable UUID id, @Valid @RequestBody KeyRequest request) {
        IssuedKey issued = tenants.issueKey(id, request.name());
        return ResponseEntity.created(URI.create("/v1/admin/keys/" + issued.key().id()))
                .body(KeyResource.of(issued.key(), issued.secret()));
    }

    @GetMapping("/tenants/{id}/keys")
    @Operation(operationId = "listApiKeys", summary = "List a tenant's API keys, without their secrets (admin token)")
    List<KeyResource> listKeys(@PathVariable UUID id) {
        return tenants.keys(id).stream().map(k -> KeyResource.of(k, null)).toList();
    }

    @DeleteMapping("/keys/{keyId}")
    @Operation(operationId = "revokeApiKey", summary = "Revoke an API key; it stops working at once (admin token)")
    KeyResource revoke(@PathVariable UUID keyId) {
        return KeyResource.of(tenants.revoke(keyId), null);
    }
}
