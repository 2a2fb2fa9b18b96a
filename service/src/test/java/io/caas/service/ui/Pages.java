package io.caas.service.ui;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/** The service's pages as a test sees them: navigation, waiting, and what the charts really plot. */
final class Pages {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    static final Path SCREENSHOTS = Path.of("target", "screenshots");

    private final ChromeDriver driver;
    private final String base;

    Pages(ChromeDriver driver, int port) {
        this.driver = driver;
        this.base = "http://localhost:" + port;
    }

    ChromeDriver driver() {
        return driver;
    }

    void open(String path) {
        driver.get(base + path);
    }

    /** Types the key into the header's API key field and saves it, as a user does once per browser. */
    void saveApiKey(String key) {
        open("/ui/index.html");
        find("#api-key").sendKeys(key);
        find("header form button").click();
    }

    WebElement find(String css) {
        return driver.findElement(By.cssSelector(css));
    }

    List<WebElement> findAll(String css) {
        return driver.findElements(By.cssSelector(css));
    }

    WebElement await(String css, Duration timeout) {
        return new WebDriverWait(driver, timeout).withMessage(() -> "no " + css + " on " + driver.getCurrentUrl()
                + "; page says: " + driver.findElement(By.tagName("main")).getText())
                .until(d -> d.findElements(By.cssSelector(css)).stream().findFirst().orElse(null));
    }

    Object script(String js, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(js, args);
    }

    /** The data of every dataset of the Chart.js chart in figure {@code figureId}, as Chart.js holds it. */
    JsonNode chartData(String figureId) {
        String json = (String) script("const c = Chart.getChart(document.querySelector('#' + arguments[0] + ' canvas'));"
                + "return c ? JSON.stringify({labels: c.data.labels, datasets: c.data.datasets.map(d => d.data)}) : null;",
                figureId);
        if (json == null) {
            throw new AssertionError("no chart in #" + figureId + " on " + driver.getCurrentUrl());
        }
        return json(json);
    }

    /** The rows of the values table beside the chart in figure {@code figureId}, as text (it may be folded away). */
    List<List<String>> valuesTable(String figureId) {
        List<List<String>> rows = new ArrayList<>();
        for (WebElement row : findAll("#" + figureId + " table.chart-values tbody tr")) {
            List<String> cells = new ArrayList<>();
            for (WebElement cell : row.findElements(By.tagName("td"))) {
                cells.add(cell.getDomProperty("textContent"));
            }
            rows.add(cells);
        }
        return rows;
    }

    /** Drops {@code file} on the element {@code css} the way a drag from the desktop does: a drop event carrying it. */
    void dropFile(String css, Path file) throws IOException {
        script("const bytes = Uint8Array.from(atob(arguments[1]), c => c.charCodeAt(0));"
                + "const transfer = new DataTransfer();"
                + "transfer.items.add(new File([bytes], arguments[2], {type: 'application/octet-stream'}));"
                + "const zone = document.querySelector(arguments[0]);"
                + "zone.dispatchEvent(new DragEvent('dragover', {dataTransfer: transfer, bubbles: true, cancelable: true}));"
                + "zone.dispatchEvent(new DragEvent('drop', {dataTransfer: transfer, bubbles: true, cancelable: true}));",
                css, java.util.Base64.getEncoder().encodeToString(Files.readAllBytes(file)), file.getFileName().toString());
    }

    /** Method, URL and Authorization header of every request the browser sent since the last call. */
    List<SentRequest> sentRequests() {
        List<SentRequest> sent = new ArrayList<>();
        for (org.openqa.selenium.logging.LogEntry entry : driver.manage().logs().get("performance")) {
            JsonNode message = json(entry.getMessage()).path("message");
            if (message.path("method").asText().equals("Network.requestWillBeSent")) {
                JsonNode request = message.path("params").path("request");
                String authorization = null;
                // header names as sent: fetch's Headers lower-cases them
                for (var header : request.path("headers").properties()) {
                    if (header.getKey().equalsIgnoreCase("Authorization")) {
                        authorization = header.getValue().asText();
                    }
                }
                sent.add(new SentRequest(request.path("method").asText(), request.path("url").asText(), authorization));
            }
        }
        return sent;
    }

    record SentRequest(String method, String url, String authorization) {
    }

    /** A PNG of the whole page (the window grown to its height), for the README. */
    void screenshot(String name) {
        script("document.activeElement?.blur(); window.scrollTo(0, 0);");
        // the window's size includes the browser's own frame; the page gets what is left
        Number frame = (Number) script("return window.outerHeight - window.innerHeight");
        Number height = (Number) script("return document.documentElement.scrollHeight");
        resize(Math.min(height.intValue(), 4000) + frame.intValue());
        @SuppressWarnings("unchecked")
        Map<String, Object> shot = (Map<String, Object>) driver.executeCdpCommand("Page.captureScreenshot",
                Map.of("format", "png"));
        try {
            Files.createDirectories(SCREENSHOTS);
            Files.write(SCREENSHOTS.resolve(name + ".png"),
                    java.util.Base64.getDecoder().decode((String) shot.get("data")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        resize(900);
    }

    private void resize(int height) {
        driver.manage().window().setSize(new org.openqa.selenium.Dimension(1280, height));
    }

    static JsonNode json(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
