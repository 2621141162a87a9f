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
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fixture sink in its own JVM, killed with SIGKILL while it writes: no fixture is ever
 * visible half-written, every one is written in the end, and a restarted sink rewrites none
 * that is already identical.
 */
class SinkCrashIT {

    @TempDir
    Path dir;

    private final List<String> output = new CopyOnWriteArrayList<>();

    private Process startSink(String bootstrap, String registry, Path fixtures) throws Exception {
        List<String> args = List.of(
                "--components",
                "SINK",
                "--bootstrap-servers",
                bootstrap,
                "--schema-registry-url",
                registry,
                "--fixtures",
                fixtures.toString(),
                "--data-dir",
                dir.resolve("sink").toString(),
                "--metrics-port",
                "-1",
                "--kafka-config",
                "group.instance.id=tapeline-sink-1");
        return ChildJvm.run(args, output).process();
    }

    private long ready() {
        return ChildJvm.readyCount(output);
    }

    @Test
    void givenTheSinkKilledWhileWriting_whenItIsRestarted_thenNoFixtureIsEverPartialAndNoneIsRewritten()
            throws Exception {
        int exchanges = 150;
        Path fixtures = dir.resolve("fixtures");
        try (SimulatedUpstream upstream = SimulatedUpstream.start(0);
                Stack stack = Stack.start(
                        Stack.Settings.allInOne(
                                        dir.resolve("data"),
                                        List.of(new Route(
                                                "sim", "/", URI.create(upstream.url()), "http://localhost:8000/v1")),
                                        fixtures,
                                        AgentMode.RECORD)
                                .withComponents(
                                        EnumSet.of(PipelineConfig.Component.AGENT, PipelineConfig.Component.PROCESSOR)),
                        w -> {})) {
            HttpClient http =
                    HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            // the recordings wait on the topic; each is large enough that writing takes a moment
            String padding = "lorem ipsum ".repeat(20_000);
            for (int i = 0; i < exchanges; i++) {
                http.send(
                        HttpRequest.newBuilder(
                                        URI.create("http://127.0.0.1:" + stack.agentPort() + "/v1/chat/completions"))
                                .header(
                                        "X-Test-Id",
                                        "tests/integration/reliability/test_sink_crash.py::test_write[" + i + "]")
                                .POST(HttpRequest.BodyPublishers.ofString(
                                        "{\"model\":\"sim-1\",\"messages\":[{\"role\":\"user\"," + "\"content\":\"" + i
                                                + " " + padding + "\"}]}"))
                                .build(),
                        HttpResponse.BodyHandlers.discarding());
            }

            Process sink = startSink(stack.bootstrapServers(), stack.registryUrl(), fixtures);
            List<Path> seenWhileKilling = new ArrayList<>();
            for (int kill = 0; kill < 3; kill++) {
                int started = kill + 1;
                await().atMost(Duration.ofSeconds(60)).until(() -> ready() >= started);
                int before = FixtureFiles.visible(fixtures).size();
                await().atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(10))
                        .until(() -> FixtureFiles.visible(fixtures).size() > before);
                sink.destroyForcibly(); // SIGKILL in the middle of writing
                sink.waitFor();
                // every file visible right after the kill is whole
                for (Path file : FixtureFiles.visible(fixtures)) {
                    FixtureFile.read(file);
                    seenWhileKilling.add(file);
                }
                sink = startSink(stack.bootstrapServers(), stack.registryUrl(), fixtures);
            }
            try {
                await().atMost(Duration.ofSeconds(120))
                        .until(() -> FixtureFiles.visible(fixtures).size() == exchanges);
                Thread.sleep(2_000);
            } finally {
                sink.destroy();
                sink.waitFor();
            }

            List<Path> all = FixtureFiles.visible(fixtures);
            assertThat(all).hasSize(exchanges);
            for (Path file : all) {
                assertThat(Files.readString(file)).endsWith("}\n");
                assertThat(FixtureFile.read(file).isStreaming()).isFalse();
            }
            assertThat(seenWhileKilling)
                    .as("the kills came while fixtures were being written")
                    .isNotEmpty()
                    .hasSizeLessThan(3 * exchanges);
            Map<String, Long> writes = output.stream()
                    .filter(line -> line.startsWith("fixture written: "))
                    .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
            assertThat(writes.values()).as("no fixture written twice").allMatch(count -> count == 1);
            assertThat(output)
                    .as("a restarted sink finds what it had written")
                    .anyMatch(line -> line.startsWith("fixture unchanged: "));
        }
    }
}
