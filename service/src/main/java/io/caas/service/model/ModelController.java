package io.caas.service.model;

import io.caas.service.config.ApiRole;
import io.caas.service.method.MethodCatalog;
import io.caas.service.paging.Page;
import io.caas.service.storage.ArtifactStore;
import io.caas.service.tenant.Caller;
import io.caas.service.upload.FileNames;
import io.caas.service.upload.FilePart;
import io.caas.service.upload.UploadRequests;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import java.io.InputStream;
import java.net.URI;
import java.util.List;
import java.util.UUID;
import org.springframework.core.io.InputStreamResource;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.validation.annotation.Validated;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RequestPart;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.multipart.MultipartFile;

@RestController
@RequestMapping("/v1/models")
@ApiRole
@Validated
@Tag(name = "models")
class ModelController {

    private final ModelService models;
    private final MethodCatalog methods;
    private final ArtifactStore store;

    ModelController(ModelService models, MethodCatalog methods, ArtifactStore store) {
        this.models = models;
        this.methods = methods;
        this.store = store;
    }

    @PostMapping(consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
    @ApiResponse(responseCode = "201", description = "Created", useReturnTypeSchema = true)
    @Operation(operationId = "uploadModel", summary = "Upload an ONNX model: a multipart part named 'file', or the raw body",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content = {
                    @Content(mediaType = MediaType.MULTIPART_FORM_DATA_VALUE, schema = @Schema(implementation = FilePart.class)),
                    @Content(mediaType = MediaType.APPLICATION_OCTET_STREAM_VALUE, schema = @Schema(type = "string", format = "binary"))}))
    ResponseEntity<ModelResource> uploadMultipart(@AuthenticationPrincipal Caller caller,
                                                  @Parameter(hidden = true) @RequestPart("file") MultipartFile file,
                                                  @RequestParam(required = false) String name) {
        return created(models.register(caller.tenantId(), UploadRequests.fromPart(file), name));
    }

    @PostMapping(consumes = MediaType.APPLICATION_OCTET_STREAM_VALUE)
    @ApiResponse(responseCode = "201", description = "Created", useReturnTypeSchema = true)
    @Operation(operationId = "uploadModel", summary = "Upload an ONNX model: a multipart part named 'file', or the raw body",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content = {
                    @Content(mediaType = MediaType.MULTIPART_FORM_DATA_VALUE, schema = @Schema(implementation = FilePart.class)),
                    @Content(mediaType = MediaType.APPLICATION_OCTET_STREAM_VALUE, schema = @Schema(type = "string", format = "binary"))}))
    ResponseEntity<ModelResource> uploadRaw(@AuthenticationPrincipal Caller caller,
                                            @Parameter(hidden = true) InputStream body,
                                            @RequestParam(required = false) String name,
                                            @RequestParam(required = false) String filename,
                                            @Parameter(hidden = true) @RequestHeader(value = HttpHeaders.CONTENT_LENGTH, required = false) Long length) {
        return created(models.register(caller.tenantId(), UploadRequests.fromBody(body, filename, length), name));
    }

    @GetMapping
    @Operation(operationId = "listModels", summary = "List models, newest first")
    Page<ModelResource> list(@AuthenticationPrincipal Caller caller, @RequestParam(required = false) String cursor,
                             @RequestParam(defaultValue = "50") @Min(1) @Max(500) int limit) {
        return models.list(caller.tenantId(), cursor, limit).map(this::resource);
    }

    @GetMapping("/{id}")
    @Operation(operationId = "getModel", summary = "Get a model with its inputs, outputs, parameter count and compressible layers")
    ModelResource get(@AuthenticationPrincipal Caller caller, @PathVariable UUID id) {
        return resource(models.get(caller.tenantId(), id));
    }

    @GetMapping(value = "/{id}/content", produces = MediaType.APPLICATION_OCTET_STREAM_VALUE)
    @Operation(operationId = "getModelContent", summary = "Download the model file as uploaded")
    ResponseEntity<InputStreamResource> content(@AuthenticationPrincipal Caller caller, @PathVariable UUID id) {
        ModelRecord m = models.get(caller.tenantId(), id);
        return ResponseEntity.ok()
                .contentType(MediaType.APPLICATION_OCTET_STREAM)
                .contentLength(m.sizeBytes())
                .eTag("\"" + m.sha256() + "\"")
                .header(HttpHeaders.CONTENT_DISPOSITION,
                        FileNames.attachment(m.filename() != null ? m.filename() : m.id() + ".onnx"))
                .body(new InputStreamResource(store.open(m.storageKey())));
    }

    @DeleteMapping("/{id}")
    @ApiResponse(responseCode = "204", description = "Deleted")
    @Operation(operationId = "deleteModel", summary = "Delete a model and its file (refused while queued or running jobs use it)")
    ResponseEntity<Void> delete(@AuthenticationPrincipal Caller caller, @PathVariable UUID id) {
        models.delete(caller.tenantId(), id);
        return ResponseEntity.noContent().build();
    }

    private ResponseEntity<ModelResource> created(ModelRecord m) {
        return ResponseEntity.created(URI.create("/v1/models/" + m.id())).body(resource(m));
    }

    private ModelResource resource(ModelRecord m) {
        List<MethodCatalog.Offer> offers = methods.offers(m.summary(), m.offers());
        return ModelResource.of(m, ModelResource.layers(m, methods, offers), offers);
    }
}
