package dev.tapeline.app.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tapeline.agent.AgentMode;
import dev.tapeline.agent.Route;
import dev.tapeline.app.SimulatedUpstream;
import dev.tapeline.app.Stack;
import dev.tapeline.app.cli.TapelineCli;
import dev.tapeline.fixture.FixtureLayout;
import dev.tapeline.fixture.FixtureProfile;
import dev.tapeline.fixture.HashRules;
import dev.tapeline.fixture.repo.FixtureFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Re-rendering from the capture events: after a change of the rules (here the fixture generation),
 * the retained events give the new fixtures without any upstream call, and the live pipeline's
 * offsets do not move.
 */
class RerenderIT {

    @TempDir
    Path dir;

    private static String tapeline(Stack stack, String... args) {
        List<String> all = new ArrayList<>(List.of(
                args[0],
                "--bootstrap-servers",
                stack.bootstrapServers(),
                "--schema-registry-url",
                stack.registryUrl()));
        all.addAll(List.of(args).subList(1, args.length));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = TapelineCli.commandLine()
                .setOut(new PrintWriter(out))
                .setErr(new PrintWriter(err))
                .execute(all.toArray(String[]::new));
        assertThat(code).as(err.toString()).isZero();
        return out.toString();
    }

    private static Map<String, byte[]> files(Path root) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        if (Files.isDirectory(root)) {
            try (Stream<Path> walk = Files.walk(root)) {
                for (Path file : walk.filter(Files::isRegularFile).toList()) {
                    files.put(root.relativize(file).toString(), Files.readAllBytes(file));
                }
            }
        }
        return files;
    }

    private static Map<TopicPartition, OffsetAndMetadata> offsets(Stack stack, String group) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.bootstrapServers()))) {
            return admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata()
                    .get();
        }
    }

    @Test
    void
            givenTrafficRecordedUnderOldRules_whenTheEventsAreRerenderedUnderNewOnes_thenTheNewFixturesWithoutAnyUpstreamCall()
                    throws Exception {
        Path live = dir.resolve("fixtures");
        // the rules before llama-stack normalized file_search results in request hashes, and the generation before it
        FixtureLayout old =
                new FixtureLayout(FixtureProfile.INTERMEDIATE, "", HashRules.BEFORE_FILE_SEARCH_NORMALIZATION, false);
        SimulatedUpstream upstream = SimulatedUpstream.start(0);
        try (Stack stack = Stack.start(
                Stack.Settings.allInOne(
                        dir.resolve("data"),
                        List.of(new Route("sim", "/", URI.create(upstream.url()), "http://localhost:8000/v1")),
                        live,
                        old,
                        AgentMode.RECORD),
                w -> {})) {
            HttpClient http = HttpClient.newHttpClient();
            String[] bodies = {
                "{\"model\":\"sim-1\",\"messages\":[{\"role\":\"user\",\"content\":\"one\"}],\"stream\":true}",
                "{\"model\":\"sim-1\",\"messages\":[{\"role\":\"user\",\"content\":\"two words\"}],\"stream\":false}",
                "{\"model\":\"sim-1\",\"input\":[\"three\"]}",
                "{\"model\":\"sim-1\",\"messages\":[{\"role\":\"user\",\"content\":\"[1] document_id: "
                        + "0f8fad5b-d9cb-469f-a165-70867728950e, score: 0.8123 the answer\"}],\"stream\":false}"
            };
            String[] paths = {"/v1/chat/completions", "/v1/chat/completions", "/v1/embeddings", "/v1/chat/completions"};
            for (int i = 0; i < bodies.length; i++) {
                HttpResponse<String> response = http.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + stack.agentPort() + paths[i]))
                                .header("X-Test-Id", "tests/integration/rerender/test_rules.py::test_" + i)
                                .POST(HttpRequest.BodyPublishers.ofString(bodies[i]))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(response.statusCode()).isEqualTo(200);
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> files(live).size() == 4);
            int served = upstream.served().size();
            upstream.close();
            Map<TopicPartition, OffsetAndMetadata> processorOffsets = offsets(stack, "tapeline-processor");
            Map<TopicPartition, OffsetAndMetadata> sinkOffsets = offsets(stack, "tapeline-processor-sink");

            // when: the events are re-rendered under today's generation, and under the old one
            Path current = dir.resolve("current");
            String summary = tapeline(stack, "rerender", "--fixtures", current.toString());
            Path same = dir.resolve("same");
            tapeline(
                    stack,
                    "rerender",
                    "--fixtures",
                    same.toString(),
                    "--profile",
                    "INTERMEDIATE",
                    "--hash-rules",
                    "BEFORE_FILE_SEARCH_NORMALIZATION");
            String toTopic = tapeline(stack, "rerender", "--to-topic", "tapeline.recordings.rerendered");
            Path fromTopic = dir.resolve("from-topic");
            tapeline(
                    stack,
                    "replay-topic",
                    "--topic",
                    "tapeline.recordings.rerendered",
                    "--fixtures",
                    fromTopic.toString());

            // then: the same files where the rules are the same; today's shape where they changed; no upstream call
            assertThat(summary).contains("4 recordings rebuilt (0 incomplete)", "4 fixtures written");
            assertThat(toTopic).contains("sent to tapeline.recordings.rerendered");
            Map<String, byte[]> recorded = files(live);
            Map<String, byte[]> same2 = files(same);
            assertThat(same2.keySet()).isEqualTo(recorded.keySet());
            recorded.forEach(
                    (path, bytes) -> assertThat(same2.get(path)).as(path).isEqualTo(bytes));
            Map<String, byte[]> rerendered = files(current);
            assertThat(rerendered).hasSize(4);
            List<String> renamed = new ArrayList<>(rerendered.keySet());
            renamed.removeAll(recorded.keySet());
            assertThat(renamed)
                    .as("only the file_search request is named differently under today's rules")
                    .hasSize(1);
            FixtureFile moved = FixtureFile.read(current.resolve(renamed.get(0)));
            assertThat(moved.requestBody()
                            .path("messages")
                            .path(0)
                            .path("content")
                            .asText())
                    .contains("document_id");
            assertThat(moved.hashRules(FixtureProfile.CURRENT)).isEqualTo(HashRules.CURRENT);
            List<String> gone = new ArrayList<>(recorded.keySet());
            gone.removeAll(rerendered.keySet());
            assertThat(FixtureFile.read(live.resolve(gone.get(0))).hashRules(FixtureProfile.INTERMEDIATE))
                    .isEqualTo(HashRules.BEFORE_FILE_SEARCH_NORMALIZATION);
            for (String path : rerendered.keySet()) {
                assertThat(FixtureFile.read(current.resolve(path)).profile())
                        .as(path)
                        .isEqualTo(FixtureProfile.CURRENT);
            }
            for (String path : recorded.keySet()) {
                assertThat(FixtureFile.read(live.resolve(path)).profile()).isEqualTo(FixtureProfile.INTERMEDIATE);
            }
            assertThat(files(fromTopic).keySet()).isEqualTo(rerendered.keySet());
            files(fromTopic)
                    .forEach((path, bytes) ->
                            assertThat(rerendered.get(path)).as(path).isEqualTo(bytes));
            assertThat(upstream.served()).hasSize(served);
            assertThat(offsets(stack, "tapeline-processor")).isEqualTo(processorOffsets);
            assertThat(offsets(stack, "tapeline-processor-sink")).isEqualTo(sinkOffsets);
        }
    }
}
