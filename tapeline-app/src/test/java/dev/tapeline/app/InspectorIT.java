package dev.tapeline.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tapeline.agent.AgentMode;
import dev.tapeline.agent.Route;
import dev.tapeline.fixture.FixtureLayout;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The inspector page in a real browser (Debian's Chromium, headless, driven by Selenium): traffic
 * appears live, a filter narrows it, a stream's timeline has a mark per chunk, and a replay miss
 * shows the path that differs. Skipped where Chromium or its driver is missing, except on CI
 * ({@code TAPELINE_REQUIRE_BROWSER=1}). Saves {@code target/inspector.png}.
 */
class InspectorIT {

    private static final Path CHROMIUM = Path.of(System.getProperty("tapeline.chromium", "/usr/bin/chromium"));
    private static final Path CHROMEDRIVER =
            Path.of(System.getProperty("tapeline.chromedriver", "/usr/bin/chromedriver"));
    private static final String TEST_FILE = "tests/integration/inspector/test_page.py";

    @TempDir
    Path dir;

    private final HttpClient http =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private HttpResponse<String> chat(String agentUrl, String test, boolean stream, String temperature)
            throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(agentUrl + "/v1/chat/completions"))
                        .header("X-Test-Id", TEST_FILE + "::" + test)
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"sim-1\",\"messages\":[{\"role\":"
                                + "\"user\",\"content\":\"inspect " + test + " please\"}],\"temperature\":"
                                + temperature
                                + (stream ? ",\"stream\":true" : "") + "}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static WebDriver browser() {
        boolean required = "1".equals(System.getenv("TAPELINE_REQUIRE_BROWSER"));
        boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
        if (!present && required) {
            throw new AssertionError(CHROMIUM + " or " + CHROMEDRIVER
                    + " missing (apt-get install chromium chromium-driver); TAPELINE_REQUIRE_BROWSER=1 requires them");
        }
        assumeTrue(present, CHROMIUM + " or " + CHROMEDRIVER + " missing; inspector browser test skipped");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1500,1000");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER.toString()))
                .usingAnyFreePort()
                .build();
        return new ChromeDriver(service, options);
    }

    private static List<WebElement> visibleRows(WebDriver page) {
        return page.findElements(By.cssSelector("#exchanges tbody tr.exchange")).stream()
                .filter(WebElement::isDisplayed)
                .toList();
    }

    @Test
    void
            givenTheInspectorOpen_whenTrafficFlows_thenItAppearsLiveFiltersNarrowItStreamsHaveTheirTimelineAndMissesTheirDiagnosis()
                    throws Exception {
        WebDriver page = browser();
        try (SimulatedUpstream upstream = SimulatedUpstream.start(5);
                TestStack tapeline = new TestStack(
                        dir,
                        List.of(new Route("sim", "/", URI.create(upstream.url()), "http://localhost:8000/v1")),
                        FixtureLayout.current(),
                        AgentMode.RECORD_IF_MISSING);
                AdminEndpoint admin = AdminEndpoint.start(
                        "127.0.0.1",
                        0,
                        tapeline.stack.pipeline()::scrapeMetrics,
                        tapeline.stack.pipeline()::readiness,
                        tapeline.stack.pipeline().inspector())) {
            page.get("http://127.0.0.1:" + admin.port() + "/inspector");
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> page.findElement(By.id("status")).getText().equals("live"));

            // while the page is open: two tests, a stream and an answer each
            String stream =
                    chat(tapeline.agentUrl(), "test_a[stream]", true, "0.0").body();
            chat(tapeline.agentUrl(), "test_a[answer]", false, "0.0");
            chat(tapeline.agentUrl(), "test_b[stream]", true, "0.0");
            chat(tapeline.agentUrl(), "test_b[answer]", false, "0.0");
            await().atMost(Duration.ofSeconds(30)).until(() -> visibleRows(page).size() == 4);
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> page.findElements(By.cssSelector("td.fixture-written"))
                                    .size()
                            == 4);

            page.findElement(By.id("filter-test-id")).sendKeys(TEST_FILE + "::test_b");
            await().atMost(Duration.ofSeconds(5)).until(() -> visibleRows(page).size() == 2);
            assertThat(visibleRows(page))
                    .allSatisfy(row -> assertThat(row.getDomAttribute("title")).contains("::test_b["));

            page.findElement(By.id("filter-test-id")).clear();
            page.findElement(By.id("filter-test-id")).sendKeys(TEST_FILE + "::test_a[stream]");
            await().atMost(Duration.ofSeconds(5)).until(() -> visibleRows(page).size() == 1);
            visibleRows(page).get(0).click();
            long events =
                    stream.lines().filter(line -> line.startsWith("data: ")).count();
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> page.findElements(By.cssSelector("#timeline circle.chunk-mark"))
                                    .size()
                            == events);
            assertThat(page.findElement(By.id("detail-fixture-path")).getText()).endsWith(".json");

            // the same request with another temperature: a miss, the recorded one nearest, the field named
            chat(tapeline.agentUrl(), "test_a[stream]", true, "0.7");
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> page.findElements(By.cssSelector("#misses span.difference")).stream()
                            .anyMatch(difference -> difference.getText().equals("temperature: 0.7 ≠ 0.0")));

            // the whole list for the picture, the stream still open beside it
            page.findElement(By.id("filter-test-id"))
                    .sendKeys(org.openqa.selenium.Keys.chord(
                            org.openqa.selenium.Keys.CONTROL, "a", org.openqa.selenium.Keys.BACK_SPACE));
            await().atMost(Duration.ofSeconds(5)).until(() -> visibleRows(page).size() == 5);
            Path shot =
                    ((TakesScreenshot) page).getScreenshotAs(OutputType.FILE).toPath();
            Files.copy(
                    shot,
                    Files.createDirectories(Path.of("target")).resolve("inspector.png"),
                    StandardCopyOption.REPLACE_EXISTING);
        } finally {
            page.quit();
        }
    }
}
