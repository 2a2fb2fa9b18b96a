package io.caas.service.ui;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.caas.service.support.Api;
import io.caas.service.support.TestMaterial;
import io.caas.service.support.TestTenants;
import io.caas.service.support.FashionMnistFiles;
import io.caas.service.support.H2ServiceTest;
import io.caas.service.support.HeadlessChromium;
import io.caas.service.support.TrainedModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.http.MediaType;

/**
 * The web pages in a real headless Chromium against the running service: a Fashion-MNIST classifier uploaded on
 * the model page, compressed by a job started from its form, followed live on the job page until its report is
 * drawn, its artifact downloaded; and two jobs side by side on the compare page. Every plotted number is compared
 * with the API's report.
 */
class PagesEndToEndTest extends H2ServiceTest {

    static final Set<String> FINAL = Set.of("succeeded", "failed", "cancelled");

    /** The API key of the tenant the tests act as; the pages send it on every API call. */
    String key;
    Path downloads;
    Pages pages;

    @BeforeEach
    void browser() throws Exception {
        key = TestTenants.sharedKey(port);
        downloads = Files.createTempDirectory("caas-downloads");
        pages = new Pages(HeadlessChromium.start(downloads), port);
    }

    @AfterEach
    void close() {
        pages.driver().quit();
    }

    @Test
    void aModelUploadedOnItsPageIsCompressedFromItsFormAndTheJobPageShowsTheReport() throws Exception {
        String train = api.postMultipart("/v1/datasets", "fashion-train-4000.zip",
                FashionMnistFiles.trainSplitIdxZip(4000)).json().get("id").asText();
        String test = api.postMultipart("/v1/datasets", "fashion-t10k.zip", FashionMnistFiles.testSplitIdxZip())
                .json().get("id").asText();
        Path onnx = Files.createTempDirectory("caas-upload").resolve("fashion-mlp.onnx");
        Files.write(onnx, TrainedModels.fashionMlp());

        // the API key typed in the header is kept for every later page
        pages.open("/ui/model.html");
        pages.find("#api-key").sendKeys(key);
        pages.find("header form button").click();
        pages.open("/ui/model.html");
        assertThat(pages.find("#api-key").getDomProperty("value")).isEqualTo(key);

        pages.dropFile("#drop-zone", onnx);
        pages.await("#layers-table", Duration.ofSeconds(30));
        String modelId = pages.driver().getCurrentUrl().replaceAll(".*[?&]id=", "");
        JsonNode model = api.get("/v1/models/" + modelId).json();
        assertThat(model.get("filename").asText()).isEqualTo("fashion-mlp.onnx");
        List<String> layerRows = pages.findAll("#layers-table tbody tr").stream().map(r -> r.getText()).toList();
        assertThat(layerRows).hasSize(model.get("layers").size());
        for (int i = 0; i < layerRows.size(); i++) {
            JsonNode layer = model.get("layers").get(i);
            assertThat(layerRows.get(i)).contains(layer.get("node").asText())
                    .contains(String.format("%,d", layer.get("parameters").asLong()))
                    .contains(String.format("%,d", layer.get("macs").asLong()))
                    .contains("svd").contains("oialr");
        }

        new Select(pages.find("#job-method")).selectByValue("oialr");
        pages.find("#param-frequency").sendKeys("30");
        pages.find("#param-onlyIfFaster").click(); // two factors wherever smaller, so the cut shows in the charts
        pages.find("#param-skipFirstAndLast").click();
        new Select(pages.find("#train-dataset")).selectByValue(train);
        new Select(pages.find("#eval-dataset")).selectByValue(test);
        pages.find("#budget-maxSteps").sendKeys("150");
        pages.find("#budget-batchSize").sendKeys("64");
        pages.screenshot("model-page");
        pages.find("#start-job").click();

        new WebDriverWait(pages.driver(), Duration.ofSeconds(30)).until(d -> d.getCurrentUrl().contains("job.html?id="));
        String jobId = pages.driver().getCurrentUrl().replaceAll(".*[?&]id=", "");
        JsonNode job = api.get("/v1/jobs/" + jobId).json();
        assertThat(job.get("method").asText()).isEqualTo("oialr");
        assertThat(job.get("parameters").toString()).isEqualTo("{\"frequency\":30,\"onlyIfFaster\":false,\"skipFirstAndLast\":false}");
        assertThat(job.get("budget").get("maxSteps").asLong()).isEqualTo(150);
        assertThat(job.get("trainDatasetId").asText()).isEqualTo(train);

        pages.await("body[data-job-done]", Duration.ofMinutes(5));
        job = api.get("/v1/jobs/" + jobId).json();
        assertThat(pages.find("body").getDomAttribute("data-job-done")).as(job.toString()).isEqualTo("succeeded");
        assertThat(pages.find("#job-status").getText()).isEqualTo("succeeded");
        assertThat(pages.find("#job-progress").getDomProperty("value")).isEqualTo("1");
        // the log followed over the stream holds every event of the job, in order
        JsonNode events = api.get("/v1/jobs/" + jobId + "/events?limit=5000").json().get("items");
        List<String> logged = pages.findAll("#event-log li").stream().map(li -> li.getDomAttribute("data-type")).toList();
        List<String> expected = new ArrayList<>();
        events.forEach(e -> expected.add(e.get("type").asText()));
        assertThat(logged).isEqualTo(expected);

        // each fact once (the method's parameters and the model's are two facts), the datasets by their names
        List<String> facts = pages.findAll("#job-facts dt").stream().map(dt -> dt.getText()).toList();
        assertThat(facts).doesNotHaveDuplicates().contains("Method parameters", "Model parameters");
        new WebDriverWait(pages.driver(), Duration.ofSeconds(30)).withMessage("dataset names on the job page")
                .until(d -> pages.find("#job-facts").getText().contains("fashion-train-4000")
                        && pages.find("#job-facts").getText().contains("fashion-t10k"));

        pages.await("#chart-ranks", Duration.ofSeconds(30));
        JsonNode report = api.get("/v1/jobs/" + jobId + "/report").json();
        assertChartsCarryTheReport(report);
        pages.screenshot("job-page");

        pages.find("#download").click();
        // every API call so far, the event stream and the upload included, carried the key
        List<Pages.SentRequest> apiCalls = pages.sentRequests().stream()
                .filter(r -> r.url().contains("/v1/") && !r.method().equals("OPTIONS")).toList();
        assertThat(apiCalls).extracting(Pages.SentRequest::url)
                .anyMatch(u -> u.endsWith("/v1/models")).anyMatch(u -> u.contains("/events?after="))
                .anyMatch(u -> u.endsWith("/v1/jobs")).anyMatch(u -> u.endsWith("/report"));
        assertThat(apiCalls).allSatisfy(r -> assertThat(r.authorization()).as(r.toString())
                .isEqualTo("Bearer " + key));
        byte[] artifact = api.get("/v1/jobs/" + jobId + "/artifact").body();
        Path saved = downloads.resolve(jobId + "-oialr.onnx");
        new WebDriverWait(pages.driver(), Duration.ofSeconds(30)).withMessage("no download " + saved)
                .until(d -> Files.isRegularFile(saved) && saved.toFile().length() == artifact.length);
        assertThat(Files.readAllBytes(saved)).isEqualTo(artifact);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(artifact));
        assertThat(pages.find("#download-result").getDomAttribute("data-sha256"))
                .isEqualTo(sha).isEqualTo(job.get("artifact").get("sha256").asText());
    }

    private void assertChartsCarryTheReport(JsonNode report) {
        JsonNode original = report.get("original");
        JsonNode compressed = report.get("compressed");
        assertSeries(pages.chartData("chart-parameters"), 0,
                original.get("parameters").asDouble(), compressed.get("parameters").asDouble());
        assertSeries(pages.chartData("chart-bytes"), 0,
                original.get("serializedBytes").asDouble(), compressed.get("serializedBytes").asDouble());
        assertSeries(pages.chartData("chart-accuracy"), 0,
                original.get("top1Accuracy").asDouble() * 100, compressed.get("top1Accuracy").asDouble() * 100);
        JsonNode latency = pages.chartData("chart-latency");
        assertSeries(latency, 0, original.get("batch1").get("p50Ms").asDouble(), original.get("batchN").get("p50Ms").asDouble());
        assertSeries(latency, 1, compressed.get("batch1").get("p50Ms").asDouble(), compressed.get("batchN").get("p50Ms").asDouble());
        assertThat(latency.get("labels").get(1).asText()).isEqualTo("batch " + original.get("batchN").get("batchSize").asInt());

        assertCurve(pages.chartData("chart-loss"), report.get("curves").get("loss"));
        assertCurve(pages.chartData("chart-total-rank"), report.get("curves").get("totalRank"));
        assertThat(pages.valuesTable("chart-total-rank")).hasSize(report.get("curves").get("totalRank").size());

        JsonNode ranks = pages.chartData("chart-ranks");
        List<List<String>> rankTable = pages.valuesTable("chart-ranks");
        JsonNode layers = report.get("layers");
        assertThat(ranks.get("labels").size()).isEqualTo(layers.size());
        for (int i = 0; i < layers.size(); i++) {
            JsonNode layer = layers.get(i);
            assertThat(ranks.get("labels").get(i).asText()).isEqualTo(layer.get("node").asText());
            assertThat(ranks.get("datasets").get(0).get(i).asLong()).isEqualTo(layer.get("originalRank").asLong());
            assertThat(ranks.get("datasets").get(1).get(i).asLong()).isEqualTo(layer.get("finalRank").asLong());
            assertThat(rankTable.get(i)).containsExactly(layer.get("node").asText(),
                    layer.get("originalRank").asText(), layer.get("finalRank").asText());
        }
        // OIALR cut at least one layer, and the chart shows it
        assertThat(layers.findValues("finalRank").stream().mapToLong(JsonNode::asLong).sum())
                .isLessThan(layers.findValues("originalRank").stream().mapToLong(JsonNode::asLong).sum());
    }

    private static void assertSeries(JsonNode chart, int dataset, double... values) {
        JsonNode data = chart.get("datasets").get(dataset);
        assertThat(data.size()).isEqualTo(values.length);
        for (int i = 0; i < values.length; i++) {
            assertThat(data.get(i).asDouble()).isCloseTo(values[i], within(1e-9 * Math.max(1, Math.abs(values[i]))));
        }
    }

    private static void assertCurve(JsonNode chart, JsonNode curve) {
        JsonNode points = chart.get("datasets").get(0);
        assertThat(curve.size()).isPositive();
        assertThat(points.size()).isEqualTo(curve.size());
        for (int i = 0; i < curve.size(); i++) {
            assertThat(points.get(i).get("x").asDouble()).isEqualTo(curve.get(i).get(0).asDouble());
            assertThat(points.get(i).get("y").asDouble()).isEqualTo(curve.get(i).get(1).asDouble());
        }
    }

    @Test
    void theComparePageSetsTwoJobsOnOneModelSideBySide() throws Exception {
        String model = api.postRaw("/v1/models?name=fashion-mlp", TrainedModels.fashionMlp(),
                MediaType.APPLICATION_OCTET_STREAM).json().get("id").asText();
        String test = api.postMultipart("/v1/datasets", "fashion-t10k.zip", FashionMnistFiles.testSplitIdxZip())
                .json().get("id").asText();
        Map<String, Double> energyOf = new java.util.HashMap<>();
        pages.saveApiKey(key);
        for (double energy : new double[] {0.9, 0.6}) {
            energyOf.put(api.postJson("/v1/jobs", Map.of("modelId", model, "method", "svd", "evalDatasetId", test,
                    "parameters", Map.of("energy", energy, "skipFirstAndLast", false, "onlyIfFaster", false))).json()
                    .get("id").asText(), energy);
        }
        Map<String, JsonNode> reportOf = new java.util.HashMap<>();
        for (String id : energyOf.keySet()) {
            JsonNode job = api.awaitJob(id, Duration.ofMinutes(3), FINAL);
            assertThat(job.get("status").asText()).as(job.toString()).isEqualTo("succeeded");
            reportOf.put(id, api.get("/v1/jobs/" + id + "/report").json());
        }

        // chosen on the index page, like a user would
        pages.open("/ui/");
        pages.await("#jobs-table", Duration.ofSeconds(30));
        for (String id : energyOf.keySet()) {
            pages.find("input[name=jobs][value='" + id + "']").click();
        }
        pages.find("#compare-selected").click();
        pages.await("#chart-accuracy-size", Duration.ofSeconds(30));
        // the page lists the jobs in the order of the link (the index's: newest first)
        List<String> jobs = List.of(pages.driver().getCurrentUrl().replaceAll(".*[?&]jobs=", "").split(","));
        assertThat(jobs).containsExactlyInAnyOrderElementsOf(energyOf.keySet());
        List<JsonNode> reports = jobs.stream().map(reportOf::get).toList();

        List<String> rows = pages.findAll("#compare-table tbody tr").stream().map(r -> r.getText()).toList();
        assertThat(rows).hasSize(3);
        assertThat(rows.get(0)).startsWith("original " + model.substring(0, 8));
        for (int i = 0; i < jobs.size(); i++) {
            JsonNode r = reports.get(i);
            assertThat(rows.get(i + 1)).startsWith(jobs.get(i).substring(0, 8) + " svd")
                    .contains("energy=" + energyOf.get(jobs.get(i)))
                    .contains(String.format("%.1f %%", r.get("compressionRatio").asDouble() * 100))
                    .contains(String.format("%,d", r.get("compressed").get("parameters").asLong()))
                    .contains(String.format("%.2f %%", r.get("compressed").get("top1Accuracy").asDouble() * 100));
        }
        // the scatter: the original, then each job, at (file size, accuracy)
        JsonNode scatter = pages.chartData("chart-accuracy-size");
        assertThat(scatter.get("datasets").size()).isEqualTo(3);
        JsonNode originalPoint = scatter.get("datasets").get(0).get(0);
        assertThat(originalPoint.get("x").asLong()).isEqualTo(reports.get(0).get("original").get("serializedBytes").asLong());
        assertThat(originalPoint.get("y").asDouble())
                .isCloseTo(reports.get(0).get("original").get("top1Accuracy").asDouble() * 100, within(1e-9));
        for (int i = 0; i < jobs.size(); i++) {
            JsonNode point = scatter.get("datasets").get(i + 1).get(0);
            JsonNode compressed = reports.get(i).get("compressed");
            assertThat(point.get("x").asLong()).isEqualTo(compressed.get("serializedBytes").asLong());
            assertThat(point.get("y").asDouble()).isCloseTo(compressed.get("top1Accuracy").asDouble() * 100, within(1e-9));
        }
        // less spectral energy kept, fewer bytes
        String lessEnergy = energyOf.get(jobs.get(0)) < energyOf.get(jobs.get(1)) ? jobs.get(0) : jobs.get(1);
        String moreEnergy = lessEnergy.equals(jobs.get(0)) ? jobs.get(1) : jobs.get(0);
        assertThat(reportOf.get(lessEnergy).get("compressed").get("serializedBytes").asLong())
                .isLessThan(reportOf.get(moreEnergy).get("compressed").get("serializedBytes").asLong());
        pages.screenshot("compare-page");
    }

    /**
     * The job page's live charts, fed metric events as a running oialr job sends them: every layer's rank in one
     * chart (a chart per layer had shown a single dot on an axis around it until the first cut), ranks counted from 0.
     */
    @Test
    void liveChartsGroupTheLayersRanksIntoOneChartFromZero() throws Exception {
        pages.open("/ui/job.html");
        Object drawn = pages.driver().executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                import('/ui/js/live-metrics.js').then(({ LiveMetrics }) => {
                  const box = document.createElement('div');
                  document.body.append(box);
                  const live = new LiveMetrics(box);
                  live.add('rank:/fc1/Gemm', 0, 64);
                  live.add('rank:/fc2/Gemm', 0, 32);
                  live.add('totalRank', 0, 96);
                  live.add('loss', 1, 2.3);
                  live.add('loss', 2, 2.1);
                  live.add('rank:/fc1/Gemm', 30, 40);
                  requestAnimationFrame(() => done(JSON.stringify({ charts: live.snapshot(),
                    figures: box.querySelectorAll('figure').length })));
                }).catch((e) => done('error: ' + e));""");
        JsonNode live = new com.fasterxml.jackson.databind.ObjectMapper().readTree(String.valueOf(drawn));
        assertThat(live.get("figures").asInt()).isEqualTo(3);
        Map<String, JsonNode> charts = new java.util.HashMap<>();
        live.get("charts").forEach(c -> charts.put(c.get("id").asText(), c));
        assertThat(charts).containsOnlyKeys("live-layer-ranks", "live-total-rank", "live-loss");
        JsonNode ranks = charts.get("live-layer-ranks");
        assertThat(ranks.get("series")).extracting(series -> series.get("label").asText())
                .containsExactly("/fc1/Gemm", "/fc2/Gemm");
        assertThat(ranks.get("series").get(0).get("points").toString()).isEqualTo("[[0,64],[30,40]]");
        assertThat(ranks.get("yMin").asDouble()).isZero();
        assertThat(charts.get("live-total-rank").get("yMin").asDouble()).isZero();
        assertThat(charts.get("live-loss").get("series").get(0).get("points").toString())
                .isEqualTo("[[1,2.3],[2,2.1]]");
    }

    @Test
    void withoutAKeyAPageSaysHowToGetOne() {
        pages.open("/ui/index.html");
        String shown = pages.await("#messages .error", Duration.ofSeconds(30)).getText();
        assertThat(shown).contains("Refused (401)").contains("admin-token").contains("POST /v1/admin/tenants")
                .contains("/keys").contains("Save");
    }

    @Test
    void aJobTheServiceRefusesShowsItsReasonsOnTheForm() throws Exception {
        String model = openTheFashionMlpsPage();
        // an MLP has no convolution and no bilinear layer: those methods are not offered, and the form says why
        List<String> offered = new Select(pages.find("#job-method")).getOptions().stream()
                .map(o -> o.getDomProperty("value")).toList();
        assertThat(offered).contains("svd", "oialr").doesNotContain("tucker", "cp", "tt", "bilinear");
        pages.find("#methods-not-offered summary").click();
        String notOffered = pages.find("#methods-not-offered").getText();
        assertThat(notOffered).contains("tucker").contains("no Conv layer with group 1").contains("bilinear")
                .contains("no bilinear layer");
        new Select(pages.find("#job-method")).selectByValue("oialr");
        // out of the method's range: the browser itself holds the form back
        pages.find("#param-sigmaCutoff").sendKeys("1.5");
        pages.find("#start-job").click();
        assertThat(pages.script("return document.querySelector('#param-sigmaCutoff').validity.rangeOverflow"))
                .isEqualTo(true);
        assertThat(pages.findAll("#job-submit-result *")).isEmpty();

        // what only the service knows: this method needs a training dataset, and none is chosen
        pages.find("#param-sigmaCutoff").clear();
        pages.find("#start-job").click();
        String shown = pages.await("#job-submit-result .error", Duration.ofSeconds(30)).getText();
        assertThat(shown).contains("422").contains("training dataset");
        assertThat(pages.driver().getCurrentUrl()).contains("model.html?id=" + model);
        assertThat(pages.find("#start-job").isEnabled()).isTrue();
    }

    @Test
    void aParameterWithChoicesIsPickedFromThemAndSentAsText() throws Exception {
        openTheFashionMlpsPage();
        new Select(pages.find("#job-method")).selectByValue("svd");
        // the choices are the ones svd reads; a number field had stood here, which could send no choice at all
        Select whitening = new Select(pages.find("#param-whitening"));
        assertThat(whitening.getOptions().stream().map(o -> o.getDomProperty("value")).toList())
                .containsExactly("", "auto", "none", "parallel", "sequential");
        whitening.selectByValue("none");
        new Select(pages.find("#param-convForm")).selectByValue("spatial");
        pages.find("#start-job").click();

        new WebDriverWait(pages.driver(), Duration.ofSeconds(30)).until(d -> d.getCurrentUrl().contains("job.html?id="));
        String jobId = pages.driver().getCurrentUrl().replaceAll(".*[?&]id=", "");
        assertThat(api.get("/v1/jobs/" + jobId).json().get("parameters").toString())
                .isEqualTo("{\"whitening\":\"none\",\"convForm\":\"spatial\"}");
    }

    /** Uploads the trained Fashion MLP and opens its page, with the job form's methods listed; returns its id. */
    private String openTheFashionMlpsPage() throws Exception {
        String model = api.postRaw("/v1/models?name=fashion-mlp", TrainedModels.fashionMlp(),
                MediaType.APPLICATION_OCTET_STREAM).json().get("id").asText();
        pages.saveApiKey(key);
        pages.open("/ui/model.html?id=" + model);
        pages.await("#job-method option[value=svd]", Duration.ofSeconds(30));
        return model;
    }

    /**
     * The report says which figure judges the outputs: correlation for one value per sample (a wake-word score),
     * cosine and relative error for several values not known to be class scores (no labels, no Softmax), the
     * argmax for class scores measured on labels.
     */
    @Test
    void theReportSaysWhichFigureJudgesTheOutputs() throws Exception {
        String head = api.postRaw("/v1/models?name=wake-word-head", Files.readAllBytes(TestMaterial.wakeWordHead()),
                MediaType.APPLICATION_OCTET_STREAM).json().get("id").asText();
        String mlp = api.postRaw("/v1/models?name=fashion-mlp", TrainedModels.fashionMlp(),
                MediaType.APPLICATION_OCTET_STREAM).json().get("id").asText();
        String test = api.postMultipart("/v1/datasets", "fashion-t10k.zip", FashionMnistFiles.testSplitIdxZip())
                .json().get("id").asText();
        Map<String, Object> cut = Map.of("energy", 0.9, "skipFirstAndLast", false, "onlyIfFaster", false);
        String score = api.postJson("/v1/jobs", Map.of("modelId", head, "method", "svd", "parameters", cut)).json()
                .get("id").asText();
        String unlabelled = api.postJson("/v1/jobs", Map.of("modelId", mlp, "method", "svd", "parameters", cut))
                .json().get("id").asText();
        String labelled = api.postJson("/v1/jobs", Map.of("modelId", mlp, "method", "svd", "parameters", cut,
                "evalDatasetId", test)).json().get("id").asText();
        pages.saveApiKey(key);

        assertThat(reportNotes(score)).contains("One output value per sample: it correlates with the original's at")
                .doesNotContain("argmax");
        assertThat(reportNotes(unlabelled)).contains("10 output values per sample, not known to be class scores: "
                + "mean cosine to the original's").contains("which means something only for class scores");
        assertThat(reportNotes(labelled)).contains("Outputs agree with the original's argmax on")
                .doesNotContain("not known to be class scores");
    }

    private String reportNotes(String jobId) {
        JsonNode job = api.awaitJob(jobId, Duration.ofMinutes(3), FINAL);
        assertThat(job.get("status").asText()).as(job.toString()).isEqualTo("succeeded");
        pages.open("/ui/job.html?id=" + jobId);
        pages.await("#report-summary p.note", Duration.ofSeconds(30));
        return String.join("\n", pages.findAll("#report-summary p.note").stream().map(n -> n.getText()).toList());
    }
}
