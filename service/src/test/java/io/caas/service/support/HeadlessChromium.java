package io.caas.service.support;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's Chromium driven by its own chromedriver, both named explicitly so that Selenium Manager never looks for
 * (or downloads) a browser. A missing browser fails the test: scripts/fetch-testdata.sh installs it as root.
 */
public final class HeadlessChromium {

    public static final Path BROWSER = Path.of("/usr/bin/chromium");
    public static final Path DRIVER = Path.of("/usr/bin/chromedriver");

    private HeadlessChromium() {
    }

    /** A fresh browser with its own profile; downloads land in {@code downloads} without asking. */
    public static ChromeDriver start(Path downloads) throws java.io.IOException {
        if (!Files.isExecutable(BROWSER) || !Files.isExecutable(DRIVER)) {
            throw new AssertionError(BROWSER + " or " + DRIVER + " is missing: the page tests need Debian's Chromium. "
                    + "Install it with `apt-get install -y --no-install-recommends chromium chromium-driver` "
                    + "(scripts/fetch-testdata.sh, run by mvn verify, does this when run as root).");
        }
        Path profile = Files.createTempDirectory("caas-chromium-profile");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(BROWSER.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--force-device-scale-factor=1", "--window-size=1280,900",
                "--user-data-dir=" + profile);
        options.setExperimentalOption("prefs", Map.of(
                "download.default_directory", downloads.toString(),
                "download.prompt_for_download", false));
        // the performance log holds every request the pages send, headers included
        options.setCapability("goog:loggingPrefs", Map.of("performance", "ALL"));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(DRIVER.toFile()).usingAnyFreePort().build();
        return new ChromeDriver(service, options);
    }
}
