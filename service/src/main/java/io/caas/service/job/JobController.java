package io.caas.service.job;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.caas.service.config.ApiRole;
import io.caas.service.paging.Page;
import io.caas.service.persistence.Json;
import io.caas.service.problem.ConflictException;
import io.caas.service.storage.ArtifactStore;
import io.caas.service.tenant.Caller;
import io.caas.service.upload.FileNames;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import java.net.URI;
import java.util.List;
import java.util.UUID;
import org.springframework.core.io.InputStreamResource;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.validation.annotation.Validated;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

@RestController
@RequestMapping("/v1/jobs")
@ApiRole
@Validated
@Tag(name = "jobs")
class JobController {

    private final JobService jobs;
    private final ArtifactStore store;
    private final Json json;
    private final JobEventStream eventStream;

    JobController(JobService jobs, ArtifactStore store, Json json, JobEventStream eventStream) {
        this.jobs = jobs;
        this.store = store;
        this.json = json;
        this.eventStream = eventStream;
    }

    @PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
    @ApiResponse(responseCode = "201", description = "Created", useReturnTypeSchema = true)
    @ApiResponse(responseCode = "200", description = "Replayed: the job an earlier request with this Idempotency-Key created", useReturnTypeSchema = true)
    @Operation(operationId = "submitJob", summary = "Submit a compression job",
            description = "With an Idempotency-Key header, repeating the same request returns the job it created "
                    + "(200) instead of creating another; the same key with a different request is refused (422).")
    ResponseEntity<JobResource> submit(@AuthenticationPrincipal Caller caller, @Valid @RequestBody JobRequest request,
                                       @RequestHeader(value = "Idempotency-Key", required = false) String idempotencyKey) {
        JobService.Submission s = jobs.submit(caller, request, IdempotencyKeys.check(idempotencyKey));
        JobResource body = JobResource.of(s.job());
        if (!s.created()) {
            return ResponseEntity.ok().header("Idempotent-Replayed", "true").body(body);
        }
        return ResponseEntity.created(URI.create("/v1/jobs/" + s.job().id())).body(body);
    }

    @GetMapping
    @Operation(operationId = "listJobs", summary = "List jobs, newest first, optionally of one status")
    Page<JobResource> list(@AuthenticationPrincipal Caller caller,
                           @RequestParam(required = false) JobStatusParam status,
                           @RequestParam(required = false) String cursor,
                           @RequestParam(defaultValue = "50") @Min(1) @Max(500) int limit) {
        return jobs.list(caller.tenantId(), status == null ? null : status.status(), cursor, limit).map(JobResource::of);
    }

    @GetMapping("/{id}")
    @Operation(operationId = "getJob", summary = "Get a job: status, progress, timestamps, error, result summary")
    JobResource get(@AuthenticationPrincipal Caller caller, @PathVariable UUID id) {
        return JobResource.of(jobs.get(caller.tenantId(), id));
    }

    @GetMapping(value = "/{id}/events", produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(operationId = "getJobEvents", summary = "The job's log: state changes, progress phases and training metrics, oldest first")
    EventList events(@AuthenticationPrincipal Caller caller, @PathVariable UUID id, @RequestParam(defaultValue = "0") @Min(0) long after,
                     @RequestParam(defaultValue = "500") @Min(1) @Max(5000) int limit) {
        JobService.EventPage page = jobs.eventPage(caller.tenantId(), id, after, limit);
        List<JobEvent> events = page.items();
        long last = events.isEmpty() ? after : events.get(events.size() - 1).id();
        return new EventList(events, last, page.total(), page.more() ? last : null);
    }

    @GetMapping(value = "/{id}/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    @Operation(operationId = "streamJobEvents", summary = "Follow the job's log live as server-sent events",
            description = "Sends the events after 'after' (or the Last-Event-ID header), then each new one as it is "
                    + "written; the stream ends when the job has finished and every event is sent. Each SSE event is "
                    + "named by the event type and carries the event as JSON.")
    SseEmitter streamEvents(@AuthenticationPrincipal Caller caller, @PathVariable UUID id, @RequestParam(defaultValue = "0") @Min(0) long after,
                            @RequestHeader(value = "Last-Event-ID", required = false) Long lastEventId) {
        jobs.get(caller.tenantId(), id);
        return eventStream.follow(caller.keyId(), id, lastEventId != null ? lastEventId : after);
    }

    /**
     * @param last  pass as {@code after} to get only newer events
     * @param total the events the job has written so far, this page's and the others
     * @param next  pass as {@code after} for the next page: more events exist already; absent when this page
     *              holds the newest (a running job may still write more, found later from {@code last})
     */
    record EventList(List<JobEvent> items,
                     @Schema(description = "Pass as 'after' to get only newer events") long last,
                     @Schema(description = "The events the job has written so far, on every page") long total,
                     @Schema(description = "Pass as 'after' for the next page; absent when this page holds the "
                             + "newest events written so far")
                     @JsonInclude(JsonInclude.Include.NON_NULL) Long next) {
    }

    @PostMapping("/{id}/cancel")
    @ApiResponse(responseCode = "202", description = "Cancelled, or cancellation requested for a running job", useReturnTypeSchema = true)
    @Operation(operationId = "cancelJob", summary = "Cancel a queued or running job")
    ResponseEntity<JobResource> cancel(@AuthenticationPrincipal Caller caller, @PathVariable UUID id) {
        return ResponseEntity.status(HttpStatus.ACCEPTED).body(JobResource.of(jobs.cancel(caller, id)));
    }

    @GetMapping(value = "/{id}/artifact", produces = MediaType.APPLICATION_OCTET_STREAM_VALUE)
    @Operation(operationId = "getJobArtifact", summary = "Download the compressed ONNX model of a succeeded job")
    ResponseEntity<InputStreamResource> artifact(@AuthenticationPrincipal Caller caller, @PathVariable UUID id) {
        JobRecord job = succeeded(caller, id);
        JobRecord.Artifact artifact = job.outcome().artifact();
        return ResponseEntity.ok()
                .contentType(MediaType.APPLICATION_OCTET_STREAM)
                .contentLength(artifact.bytes())
                .eTag("\"" + artifact.sha256() + "\"")
                .header(HttpHeaders.CONTENT_DISPOSITION,
                        FileNames.attachment(id + "-" + job.submission().method() + ".onnx"))
                .body(new InputStreamResource(store.open(artifact.key())));
    }

    @GetMapping(value = "/{id}/report", produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(operationId = "getJobReport", summary = "The measurements of a succeeded job: parameters, bytes, latency, accuracy, per-layer ranks, curves")
    JobReport report(@AuthenticationPrincipal Caller caller, @PathVariable UUID id) {
        return json.read(succeeded(caller, id).outcome().reportJson(), JobReport.class);
    }

    private JobRecord succeeded(Caller caller, UUID id) {
        JobRecord job = jobs.get(caller.tenantId(), id);
        if (job.run().status() != JobStatus.SUCCEEDED) {
            throw new ConflictException("job " + id + " is " + job.run().status().wire()
                    + "; its artifact and report exist once it has succeeded");
        }
        return job;
    }
}
