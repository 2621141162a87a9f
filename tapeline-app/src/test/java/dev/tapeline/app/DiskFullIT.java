package dev.tapeline.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tapeline.agent.AgentMode;
import dev.tapeline.agent.Route;
import dev.tapeline.fixture.repo.FixtureFile;
import dev.tapeline.settings.SettingValues;
import dev.tapeline.sink.SinkConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fixture repository on a filesystem that fills in the middle of a run (a real tmpfs of 1 MB):
 * every client still gets its answer, the sink waits with /health/ready 503 naming the cause,
 * and once the filesystem grows it writes every fixture, whole and once, by itself; the same
 * through a restart while the disk is still full.
 */
class DiskFullIT {

    private static final int EXCHANGES = 150;
    /** About 4 KB of request: a fixture of about 10 KB, so 1 MB fills after about a hundred. */
    private static final String PADDING = "lorem ipsum ".repeat(350);

    @TempDir
    Path dir;

    private Stack start(Path fixtures, String upstream) throws Exception {
        return Stack.start(
                Stack.Settings.allInOne(
                                dir.resolve("data"),
                                List.of(new Route("sim", "/", URI.create(upstream), "http://localhost:8000/v1")),
                                fixtures,
                                AgentMode.RECORD)
                        .withSettings(SettingValues.DEFAULTS.with(SinkConfig.WRITE_RETRY_MAX, Duration.ofMillis(500))),
                w -> {});
    }

    private static void send(Stack stack, int from, int to) throws Exception {
        HttpClient http =
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        for (int i = from; i < to; i++) {
            HttpResponse<String> answer = http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + stack.agentPort() + "/v1/chat/completions"))
                            .header("X-Test-Id", "tests/integration/disk/test_full.py::test_write[" + i + "]")
                            .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"sim-1\",\"messages\":[{\"role\":"
                                    + "\"user\",\"content\":\"" + i + " " + PADDING + "\"}]}"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).as("answer %d", i).isEqualTo(200);
        }
    }

    private static String sinkCheck(Stack stack) {
        return stack.pipeline().readiness().checks().get("sink");
    }

    /** Every file under the root: fixtures and anything else (a temporary left behind would show here). */
    private static List<Path> allFiles(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile).toList();
        }
    }

    /** Each exchange's fixture is there once, reads whole, and nothing else is under the root. */
    private static void assertEveryFixtureWholeAndOnce(Path fixtures) throws IOException {
        List<Path> files = allFiles(fixtures);
        assertThat(files).hasSize(EXCHANGES);
        Set<String> testIds = new HashSet<>();
        for (Path file : files) {
            testIds.add(FixtureFile.read(file).testId());
        }
        assertThat(testIds).hasSize(EXCHANGES);
    }

    /** Every exchange's fixture written and the sink ready again. */
    private static void awaitCaughtUp(Stack stack, Path fixtures) {
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> FixtureFiles.visible(fixtures).size() == EXCHANGES);
        await().atMost(Duration.ofSeconds(10)).until(() -> "UP".equals(sinkCheck(stack)));
    }

    private static void awaitStalled(Stack stack, Path fixtures) throws IOException {
        await().atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> assertThat(sinkCheck(stack))
                        .startsWith("DOWN: fixture repository not writable: ")
                        .endsWith("No space left on device"));
        assertThat(stack.pipeline().readiness().ready()).isFalse();
        assertThat(stack.pipeline().scrapeMetrics()).contains("tapeline_sink_repository_writable 0.0");
        // some written, the rest waiting (that none is half-written or left as a temporary is checked
        // once the sink has caught up: while it waits, a try in progress has its temporary for a moment)
        assertThat(FixtureFiles.visible(fixtures).size()).isBetween(1, EXCHANGES - 1);
    }

    @Test
    void givenTheFixtureDiskFullInTheMiddle_whenItGrows_thenEveryFixtureIsWrittenWholeAndOnceWithoutARestart()
            throws Exception {
        Path fixtures = dir.resolve("fixtures");
        try (Tmpfs disk = Tmpfs.mount(fixtures, "1m");
                SimulatedUpstream upstream = SimulatedUpstream.start(0);
                Stack stack = start(fixtures, upstream.url())) {
            send(stack, 0, EXCHANGES); // every client answered while the disk is full

            awaitStalled(stack, fixtures);

            disk.resize("64m");
            awaitCaughtUp(stack, fixtures);
            assertThat(stack.pipeline().scrapeMetrics())
                    .contains("tapeline_sink_repository_writable 1.0")
                    .containsPattern("tapeline_sink_write_failures_total [1-9]");
            assertEveryFixtureWholeAndOnce(fixtures);
        }
    }

    @Test
    void givenTheSinkWaitingOnAFullDisk_whenTapelineRestartsBeforeTheDiskGrows_thenTheRestartedSinkWritesTheRest()
            throws Exception {
        Path fixtures = dir.resolve("fixtures");
        try (Tmpfs disk = Tmpfs.mount(fixtures, "1m");
                SimulatedUpstream upstream = SimulatedUpstream.start(0)) {
            try (Stack stack = start(fixtures, upstream.url())) {
                send(stack, 0, EXCHANGES);
                awaitStalled(stack, fixtures);
            }
            List<Path> before = new ArrayList<>(FixtureFiles.visible(fixtures));
            try (Stack stack = start(fixtures, upstream.url())) {
                // still full: the restarted sink waits too, and says why
                awaitStalled(stack, fixtures);
                disk.resize("64m");
                awaitCaughtUp(stack, fixtures);
            }
            assertThat(FixtureFiles.visible(fixtures)).containsAll(before);
            assertEveryFixtureWholeAndOnce(fixtures);
        }
    }

    @Test
    void givenTheFixtureRepositoryReadOnly_whenItIsWritableAgain_thenTheSinkCatchesUpByItself() throws Exception {
        Path fixtures = dir.resolve("fixtures");
        try (Tmpfs disk = Tmpfs.mount(fixtures, "64m");
                SimulatedUpstream upstream = SimulatedUpstream.start(0);
                Stack stack = start(fixtures, upstream.url())) {
            send(stack, 0, 10);
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> FixtureFiles.visible(fixtures).size() == 10);

            disk.writable(false);
            send(stack, 10, EXCHANGES);
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(100))
                    .untilAsserted(() -> assertThat(sinkCheck(stack))
                            .startsWith("DOWN: fixture repository not writable: ")
                            .endsWith("Read-only file system"));
            assertThat(FixtureFiles.visible(fixtures)).hasSize(10);

            disk.writable(true);
            awaitCaughtUp(stack, fixtures);
            assertEveryFixtureWholeAndOnce(fixtures);
        }
    }
}
