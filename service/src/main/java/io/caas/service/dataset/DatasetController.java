package io.caas.service.dataset;

import io.caas.service.config.ApiRole;
import io.caas.service.paging.Page;
import io.caas.service.tenant.Caller;
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
import java.util.UUID;
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
@RequestMapping("/v1/datasets")
@ApiRole
@Validated
@Tag(name = "datasets")
class DatasetController {

    private static final String LABELLED = "Whether the dataset carries labels: true refuses a file without them; "
            + "false accepts IDX images uploaded without their labels file (refused otherwise, since jobs would then "
            + "distil the original's outputs instead of measuring top-1)";

    private final DatasetService datasets;

    DatasetController(DatasetService datasets) {
        this.datasets = datasets;
    }

    @PostMapping(consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
    @ApiResponse(responseCode = "201", description = "Created", useReturnTypeSchema = true)
    @Operation(operationId = "uploadDataset", summary = "Upload a dataset (.npz, IDX zip, CSV or image-folder zip): a multipart part named 'file', or the raw body (name the format or a filename with its extension)",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content = {
                    @Content(mediaType = MediaType.MULTIPART_FORM_DATA_VALUE, schema = @Schema(implementation = FilePart.class)),
                    @Content(mediaType = MediaType.APPLICATION_OCTET_STREAM_VALUE, schema = @Schema(type = "string", format = "binary"))}))
    ResponseEntity<DatasetRecord> uploadMultipart(@AuthenticationPrincipal Caller caller,
                                                  @Parameter(hidden = true) @RequestPart("file") MultipartFile file,
                                                  @RequestParam(required = false) String name,
                                                  @RequestParam(required = false) String format,
                                                  @Parameter(description = LABELLED) @RequestParam(required = false) Boolean labelled) {
        return created(datasets.register(caller.tenantId(), UploadRequests.fromPart(file), name, format, labelled));
    }

    @PostMapping(consumes = MediaType.APPLICATION_OCTET_STREAM_VALUE)
    @ApiResponse(responseCode = "201", description = "Created", useReturnTypeSchema = true)
    @Operation(operationId = "uploadDataset", summary = "Upload a dataset (.npz, IDX zip, CSV or image-folder zip): a multipart part named 'file', or the raw body (name the format or a filename with its extension)",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content = {
                    @Content(mediaType = MediaType.MULTIPART_FORM_DATA_VALUE, schema = @Schema(implementation = FilePart.class)),
                    @Content(mediaType = MediaType.APPLICATION_OCTET_STREAM_VALUE, schema = @Schema(type = "string", format = "binary"))}))
    ResponseEntity<DatasetRecord> uploadRaw(@AuthenticationPrincipal Caller caller,
                                            @Parameter(hidden = true) InputStream body,
                                            @RequestParam(required = false) String name,
                                            @RequestParam(required = false) String filename,
                                            @RequestParam(required = false) String format,
                                            @Parameter(description = LABELLED) @RequestParam(required = false) Boolean labelled,
                                            @Parameter(hidden = true) @RequestHeader(value = HttpHeaders.CONTENT_LENGTH, required = false) Long length) {
        return created(datasets.register(caller.tenantId(), UploadRequests.fromBody(body, filename, length), name,
                format, labelled));
    }

    @GetMapping
    @Operation(operationId = "listDatasets", summary = "List datasets, newest first")
    Page<DatasetRecord> list(@AuthenticationPrincipal Caller caller, @RequestParam(required = false) String cursor,
                             @RequestParam(defaultValue = "50") @Min(1) @Max(500) int limit) {
        return datasets.list(caller.tenantId(), cursor, limit);
    }

    @GetMapping("/{id}")
    @Operation(operationId = "getDataset", summary = "Get a dataset: format, sample count and shape, classes")
    DatasetRecord get(@AuthenticationPrincipal Caller caller, @PathVariable UUID id) {
        return datasets.get(caller.tenantId(), id);
    }

    @DeleteMapping("/{id}")
    @ApiResponse(responseCode = "204", description = "Deleted")
    @Operation(operationId = "deleteDataset", summary = "Delete a dataset (refused while queued or running jobs use it)")
    ResponseEntity<Void> delete(@AuthenticationPrincipal Caller caller, @PathVariable UUID id) {
        datasets.delete(caller.tenantId(), id);
        return ResponseEntity.noContent().build();
    }

    private ResponseEntity<DatasetRecord> created(DatasetRecord d) {
        return ResponseEntity.created(URI.create("/v1/datasets/" + d.id())).body(d);
    }
}
