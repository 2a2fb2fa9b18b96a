package io.caas.service.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.client.SimpleClientHttpRequestFactory;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;
import org.springframework.web.client.RestClient;

/**
 * A small HTTP client for the tests: raw status, headers and JSON, nothing hidden by a typed client. {@code new
 * Api(port)} calls as the shared test tenant; {@link #withToken} and {@link #anonymous} as anyone else.
 */
public final class Api {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final RestClient client;

    public Api(int port) {
        this(port, TestTenants.sharedKey(port));
    }

    private Api(int port, String token) {
        RestClient.Builder builder = RestClient.builder().baseUrl("http://localhost:" + port)
                .requestFactory(new SimpleClientHttpRequestFactory())
                .defaultStatusHandler(s -> true, (req, res) -> { });
        if (token != null) {
            builder.defaultHeader(HttpHeaders.AUTHORIZATION, "Bearer " + token);
        }
        this.client = builder.build();
    }

    public static Api withToken(int port, String token) {
        return new Api(port, token);
    }

    /** No Authorization header at all. */
    public static Api anonymous(int port) {
        return new Api(port, null);
    }

    public record Response(int status, HttpHeaders headers, byte[] body) {
        public JsonNode json() {
            try {
                return MAPPER.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException("not JSON: " + new String(body), e);
            }
        }

        public String contentType() {
            return headers.getContentType() == null ? null : headers.getContentType().toString();
        }
    }

    public Response get(String path) {
        return exchange(HttpMethod.GET, path, null, null, new HttpHeaders());
    }

    public Response delete(String path) {
        return exchange(HttpMethod.DELETE, path, null, null, new HttpHeaders());
    }

    public Response postJson(String path, Object body) {
        return postJson(path, body, new HttpHeaders());
    }

    public Response postJson(String path, Object body, HttpHeaders headers) {
        try {
            return exchange(HttpMethod.POST, path, MAPPER.writeValueAsBytes(body), MediaType.APPLICATION_JSON, headers);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Response postRaw(String path, byte[] body, MediaType type) {
        return exchange(HttpMethod.POST, path, body, type, new HttpHeaders());
    }

    public Response postFile(String path, Path file) {
        try {
            byte[] bytes = Files.readAllBytes(file);
            return postMultipart(path, file.getFileName().toString(), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Response postMultipart(String path, String filename, byte[] bytes) {
        MultiValueMap<String, Object> parts = new LinkedMultiValueMap<>();
        HttpHeaders partHeaders = new HttpHeaders();
        partHeaders.setContentType(MediaType.APPLICATION_OCTET_STREAM);
        parts.add("file", new HttpEntity<>(new ByteArrayResource(bytes) {
            @Override
            public String getFilename() {
                return filename;
            }
        }, partHeaders));
        ResponseEntity<byte[]> r = client.post().uri(path).contentType(MediaType.MULTIPART_FORM_DATA).body(parts)
                .retrieve().toEntity(byte[].class);
        return new Response(r.getStatusCode().value(), r.getHeaders(), r.getBody() == null ? new byte[0] : r.getBody());
    }

    private Response exchange(HttpMethod method, String path, byte[] body, MediaType type, HttpHeaders headers) {
        RestClient.RequestBodySpec spec = client.method(method).uri(path).headers(h -> h.addAll(headers));
        if (body != null) {
            spec = spec.contentType(type).body(body);
        }
        ResponseEntity<byte[]> r = spec.retrieve().toEntity(byte[].class);
        return new Response(r.getStatusCode().value(), r.getHeaders(), r.getBody() == null ? new byte[0] : r.getBody());
    }

    /** Polls a job until it reaches one of {@code states}, failing after {@code timeout}. */
    public JsonNode awaitJob(String id, Duration timeout, Set<String> states) {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode job = null;
        while (System.nanoTime() < deadline) {
            job = get("/v1/jobs/" + id).json();
            if (states.contains(job.path("status").asText())) {
                return job;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        throw new AssertionError("job " + id + " did not reach " + states + " within " + timeout + "; last seen: " + job);
    }
}
