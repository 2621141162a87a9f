package dev.tapeline.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tapeline.agent.AgentMode;
import dev.tapeline.agent.Route;
import dev.tapeline.fixture.repo.FixtureFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The processor's state directory (RocksDB, checkpoints) on a disk that fills while it runs (a
 * tmpfs taken up by another file): clients are served and exchanges still become fixtures (the
 * processor writes nothing there in steady state), and a Tapeline stopped while the disk is full
 * (its checkpoints cannot be written) starts again once space is back and loses nothing.
 */
class ProcessorStateDiskFullIT {

    @TempDir
    Path dir;

    private static void send(HttpClient http, TestStack stack, int from, int to) throws Exception {
        for (int i = from; i < to; i++) {
            HttpResponse<String> answer = http.send(
                    HttpRequest.newBuilder(URI.create(stack.agentUrl() + "/v1/chat/completions"))
                            .header("X-Test-Id", "tests/integration/disk/test_state.py::test_exchange[" + i + "]")
                            .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"sim-1\",\"stream\":true,"
                                    + "\"messages\":[{\"role\":\"user\",\"content\":\"exchange " + i
                                    + " lorem ipsum dolor sit amet\"}]}"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).as("answer %d", i).isEqualTo(200);
            assertThat(answer.body()).endsWith("data: [DONE]\n\n");
        }
    }

    @Test
    void givenTheProcessorsStateDiskFull_whenTrafficGoesOnAndTapelineRestartsBeforeItEmpties_thenEveryFixtureOnce()
            throws Exception {
        Path state = dir.resolve("data").resolve("streams");
        List<Route> routes;
        HttpClient http =
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        try (Tmpfs disk = Tmpfs.mount(state, "64m");
                SimulatedUpstream upstream = SimulatedUpstream.start(0)) {
            routes = List.of(new Route("sim", "/", URI.create(upstream.url()), "http://localhost:8000/v1"));
            Path filler = state.resolve("filler");
            try (TestStack stack = new TestStack(dir, routes, AgentMode.RECORD)) {
                send(http, stack, 0, 20);
                stack.awaitFixtures(20);

                Tmpfs.fill(filler);
                // in steady state the processor writes nothing there (exactly-once: RocksDB's memtables and the
                // changelog on Kafka): the exchanges of a full state disk still become fixtures
                send(http, stack, 20, 60);
                await().atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(200))
                        .until(() -> FixtureFiles.visible(stack.fixtures).size() == 60);
            } // stopped while full: its state checkpoints cannot be written
            Files.delete(filler);

            try (TestStack stack = new TestStack(dir, routes, AgentMode.RECORD)) {
                send(http, stack, 60, 70);
                await().atMost(Duration.ofSeconds(120))
                        .pollInterval(Duration.ofMillis(200))
                        .until(() -> FixtureFiles.visible(stack.fixtures).size() == 70);
                Set<String> testIds = new HashSet<>();
                for (Path file : FixtureFiles.visible(stack.fixtures)) {
                    testIds.add(FixtureFile.read(file).testId());
                }
                assertThat(testIds).hasSize(70);
            }
        }
    }
}
