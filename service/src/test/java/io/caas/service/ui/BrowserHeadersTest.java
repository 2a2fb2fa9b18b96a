package io.caas.service.ui;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.caas.service.support.Api;
import io.caas.service.support.FashionMnistFiles;
import io.caas.service.support.H2ServiceTest;
import io.caas.service.support.HeadlessChromium;
import io.caas.service.support.SmallModels;
import io.caas.service.support.TestTenants;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;

/**
 * The pages keep the API key in localStorage, so what may run on them matters: every response carries a
 * Content-Security-Policy that admits only the service's own files, Referrer-Policy no-referrer and nosniff; and
 * every page, Swagger UI included, still works in a real Chromium under that policy without one violation.
 */
class BrowserHeadersTest extends H2ServiceTest {

    static final String PAGES_POLICY = "default-src 'self'; object-src 'none'; base-uri 'self'; "
            + "form-action 'self'; frame-ancestors 'none'";
    /** The pages' policy plus the inline styles and data: images Swagger UI's bundle and stylesheet use. */
    static final String SWAGGER_UI_POLICY = "default-src 'self'; style-src 'self' 'unsafe-inline'; "
            + "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";
    /** Installed before any page script runs; CSP does not apply to it, so it sees every violation. */
    static final String RECORD_VIOLATIONS = "window.cspViolations = [];"
            + "document.addEventListener('securitypolicyviolation', e => window.cspViolations.push("
            + "e.effectiveDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':'"
            + " + e.lineNumber), true);";

    Pages pages;

    @BeforeEach
    void browser() throws Exception {
        pages = new Pages(HeadlessChromium.start(Files.createTempDirectory("caas-downloads")), port);
        pages.driver().executeCdpCommand("Page.addScriptToEvaluateOnNewDocument", Map.of("source", RECORD_VIOLATIONS));
    }

    @AfterEach
    void close() {
        pages.driver().quit();
    }

    @Test
    void everyResponseCarriesThePolicyNoReferrerAndNosniff() {
        Api anonymous = Api.anonymous(port);
        Map<String, Api.Response> responses = Map.of(
                "/ui/index.html", anonymous.get("/ui/index.html"),
                "/ui/js/api.js", anonymous.get("/ui/js/api.js"),
                "/webjars/chart.js/dist/chart.umd.min.js", anonymous.get("/webjars/chart.js/dist/chart.umd.min.js"),
                "/v1/models (with a key)", api.get("/v1/models"),
                "/v1/models (401)", anonymous.get("/v1/models"),
                "/v3/api-docs", anonymous.get("/v3/api-docs"),
                "/actuator/health", anonymous.get("/actuator/health"));
        responses.forEach((what, r) -> {
            assertThat(r.status()).as(what).isIn(200, 401);
            assertBrowserHeaders(what, r.headers(), PAGES_POLICY);
        });
        Api.Response swagger = anonymous.get("/swagger-ui/index.html");
        assertThat(swagger.status()).isEqualTo(200);
        assertBrowserHeaders("/swagger-ui/index.html", swagger.headers(), SWAGGER_UI_POLICY);
    }

    @Test
    void everyPageWorksUnderThePolicyWithoutAViolation() throws Exception {
        String model = api.postRaw("/v1/models?name=csp-mlp", SmallModels.fashionMlp(32, 11),
                MediaType.APPLICATION_OCTET_STREAM).json().get("id").asText();
        String test = api.postMultipart("/v1/datasets", "fashion-t10k.zip", FashionMnistFiles.testSplitIdxZip())
                .json().get("id").asText();
        String job = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "svd", "evalDatasetId", test,
                "parameters", Map.of("energy", 0.8, "skipFirstAndLast", false))).json().get("id").asText();
        JsonNode done = api.awaitJob(job, Duration.ofMinutes(3), Set.of("succeeded", "failed", "cancelled"));
        assertThat(done.get("status").asText()).as(done.toString()).isEqualTo("succeeded");

        pages.saveApiKey(TestTenants.sharedKey(port));
        assertNoViolation("/ui/index.html", "#jobs-table input[name=jobs][value='" + job + "']");
        assertNoViolation("/ui/model.html?id=" + model, "#layers-table");
        assertNoViolation("/ui/job.html?id=" + job, "body[data-job-done]");
        assertThat(pages.chartData("chart-ranks").get("datasets").size()).isPositive();
        assertNoViolation("/ui/compare.html?jobs=" + job, "#chart-accuracy-size");
        assertThat(pages.chartData("chart-accuracy-size").get("datasets").size()).isEqualTo(2);
        // Swagger UI drew the operations of the API description
        assertNoViolation("/swagger-ui.html", ".swagger-ui .opblock");
    }

    @Test
    void anInlineScriptIsRefusedAndReported() {
        pages.open("/ui/index.html");
        pages.script("const s = document.createElement('script'); s.textContent = 'window.injected = true;';"
                + "document.body.append(s);");

        assertThat(pages.script("return window.injected === true")).isEqualTo(false);
        assertThat(violations()).singleElement().asString().startsWith("script-src-elem blocked inline");
    }

    private void assertNoViolation(String path, String worksWhenShown) {
        pages.open(path);
        pages.await(worksWhenShown, Duration.ofSeconds(30));
        assertThat(violations()).as(path).isEmpty();
    }

    @SuppressWarnings("unchecked")
    private List<String> violations() {
        return (List<String>) pages.script("return window.cspViolations");
    }

    private static void assertBrowserHeaders(String what, HttpHeaders headers, String policy) {
        assertThat(headers.getFirst("Content-Security-Policy")).as(what).isEqualTo(policy);
        assertThat(headers.getFirst("Referrer-Policy")).as(what).isEqualTo("no-referrer");
        assertThat(headers.getFirst("X-Content-Type-Options")).as(what).isEqualTo("nosniff");
    }
}
