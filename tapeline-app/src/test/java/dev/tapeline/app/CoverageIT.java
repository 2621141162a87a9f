package dev.tapeline.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tapeline.agent.AgentMode;
import dev.tapeline.agent.Route;
import dev.tapeline.agent.replay.ReplayLog;
import dev.tapeline.fixture.path.TestIds;
import dev.tapeline.schema.ReplayEvent;
import dev.tapeline.schema.ReplayOutcome;
import dev.tapeline.schema.registry.RegistryConfig;
import dev.tapeline.schema.registry.RestSchemaRegistryClient;
import dev.tapeline.schema.serde.ConfluentAvroSerde;
import dev.tapeline.settings.SettingValues;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A suite's fixtures kept true: two shards of one run replay parts of a fixture repository, each
 * agent writing its replay events; the files gathered from both give one coverage report that
 * names exactly the fixtures neither used; prune lists them (dry run), then removes exactly those
 * (a fixture of a test no shard ran is kept); the suite replays as before. Where Kafka runs, the
 * same events are on {@code tapeline.replay.events}.
 */
class CoverageIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String A = "tests/integration/inference/test_a.py::";
    private static final String B = "tests/integration/tools/test_b.py::";
    private static final String C = "tests/integration/agents/test_c.py::";
    private static final String RUN = "nightly-1";

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> call(TestStack stack, String testId) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(stack.agentUrl() + "/v1/chat/completions"))
                        .header("content-type", "application/json")
                        .header("X-LlamaStack-Provider-Data", TestIds.providerDataHeader(testId))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-4.1-mini\",\"messages\":[{\"role\":"
                                + "\"user\",\"content\":\"" + testId + "\"}]}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Replays one shard's tests; the status of each call by test. */
    private Map<String, Integer> shard(List<Route> routes, String shard, List<String> tests) throws Exception {
        SettingValues values =
                SettingValues.DEFAULTS.with(ReplayLog.RUN_ID, RUN).with(ReplayLog.SHARD, shard);
        Map<String, Integer> statuses = new LinkedHashMap<>();
        try (TestStack replay = new TestStack(dir, routes, AgentMode.REPLAY, values)) {
            for (String test : tests) {
                statuses.put(test, call(replay, test).statusCode());
            }
        }
        // as CI gathers each shard's file
        Path gathered = Files.createDirectories(dir.resolve("gathered").resolve(shard));
        Path file = dir.resolve("data/replay-events/" + RUN + "." + shard + ".jsonl");
        Files.copy(file, gathered.resolve(file.getFileName()));
        return statuses;
    }

    private Map<String, String> fixturesByTest() throws Exception {
        Map<String, String> byTest = new LinkedHashMap<>();
        try (Stream<Path> files = Files.walk(dir.resolve("fixtures"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".json")).toList()) {
                String test = JSON.readTree(file.toFile()).path("test_id").asText();
                byTest.put(test, dir.resolve("fixtures").relativize(file).toString());
            }
        }
        return byTest;
    }

    @Test
    void givenTwoShardsReplayingPartsOfASuite_whenCoverageAndPrune_thenExactlyTheFixturesNeitherUsedGo()
            throws Exception {
        List<String> recordedTests = List.of(
                A + "test_1", A + "test_2", A + "test_3", B + "test_1", B + "test_2", B + "test_3", C + "test_1");
        List<Route> routes;
        try (ProviderUpstream upstream = ProviderUpstream.start()) {
            routes = List.of(new Route("openai", "/", URI.create(upstream.url()), "https://api.openai.com/v1"));
            try (TestStack record = new TestStack(dir, routes, AgentMode.RECORD)) {
                for (String test : recordedTests) {
                    assertThat(call(record, test).statusCode()).isEqualTo(200);
                }
                record.awaitFixtures(recordedTests.size());
            }
        }
        Map<String, String> fixtures = fixturesByTest();
        assertThat(fixtures).hasSize(recordedTests.size());

        List<String> shardA = List.of(A + "test_1", A + "test_2", B + "test_1");
        List<String> shardB = List.of(A + "test_1", B + "test_2", B + "test_new");
        assertThat(shard(routes, "a", shardA))
                .containsOnly(Map.entry(A + "test_1", 200), Map.entry(A + "test_2", 200), Map.entry(B + "test_1", 200));
        assertThat(shard(routes, "b", shardB)).containsEntry(B + "test_new", 404);

        Path fixtureRoot = dir.resolve("fixtures");
        String[] events = {
            "--events",
            dir.resolve("gathered/a").toString(),
            "--events",
            dir.resolve("gathered/b").toString()
        };
        Cli.Result coverage =
                Cli.run(Stream.concat(Stream.of("coverage", fixtureRoot.toString(), "--json"), Stream.of(events))
                        .toArray(String[]::new));
        assertThat(coverage.exitCode()).as(coverage.err()).isZero();
        JsonNode report = JSON.readTree(coverage.out());
        assertThat(report.path("runs")).containsExactly(JSON.getNodeFactory().textNode(RUN));
        assertThat(report.path("shards").toString()).isEqualTo("[\"a\",\"b\"]");
        Map<String, Long> used = new LinkedHashMap<>();
        report.path("used")
                .fields()
                .forEachRemaining(e -> used.put(e.getKey(), e.getValue().asLong()));
        assertThat(used)
                .containsOnly(
                        Map.entry(fixtures.get(A + "test_1"), 2L),
                        Map.entry(fixtures.get(A + "test_2"), 1L),
                        Map.entry(fixtures.get(B + "test_1"), 1L),
                        Map.entry(fixtures.get(B + "test_2"), 1L));
        Map<String, String> unused = new LinkedHashMap<>();
        report.path("unused")
                .forEach(u -> unused.put(
                        u.path("fixture").asText(),
                        u.path("keptBecause").isNull()
                                ? null
                                : u.path("keptBecause").asText()));
        Map<String, String> expectedUnused = new LinkedHashMap<>();
        expectedUnused.put(fixtures.get(A + "test_3"), null);
        expectedUnused.put(fixtures.get(B + "test_3"), null);
        expectedUnused.put(fixtures.get(C + "test_1"), "outside the runs' test directories");
        assertThat(unused).isEqualTo(expectedUnused);
        assertThat(report.path("misses")).hasSize(1);
        assertThat(report.path("misses").path(0).path("testId").asText()).isEqualTo(B + "test_new");
        assertThat(report.path("testsUsingNothing").toString()).isEqualTo("[\"" + B + "test_new\"]");

        Cli.Result failing = Cli.run(
                Stream.concat(Stream.of("coverage", fixtureRoot.toString(), "--fail-on-unused"), Stream.of(events))
                        .toArray(String[]::new));
        assertThat(failing.exitCode()).isEqualTo(1);
        assertThat(failing.out()).contains("4 fixtures used, 3 never used (2 prune would remove)");

        Cli.Result dryRun = Cli.run(Stream.concat(Stream.of("prune", fixtureRoot.toString()), Stream.of(events))
                .toArray(String[]::new));
        assertThat(dryRun.exitCode()).as(dryRun.err()).isZero();
        assertThat(dryRun.out())
                .contains("Would remove 2 never-used fixtures (2 files) of 7")
                .contains("  " + fixtures.get(A + "test_3"))
                .contains("git -C " + fixtureRoot + " rm -q -- " + fixtures.get(A + "test_3") + " "
                        + fixtures.get(B + "test_3"));
        assertThat(fixturesByTest()).as("a dry run removes nothing").isEqualTo(fixtures);

        Cli.Result applied =
                Cli.run(Stream.concat(Stream.of("prune", fixtureRoot.toString(), "--apply"), Stream.of(events))
                        .toArray(String[]::new));
        assertThat(applied.exitCode()).as(applied.err()).isZero();
        Map<String, String> left = new LinkedHashMap<>(fixtures);
        left.remove(A + "test_3");
        left.remove(B + "test_3");
        assertThat(fixturesByTest()).isEqualTo(left);

        // the suite as the shards run it still replays
        List<String> suite = new ArrayList<>(shardA);
        suite.addAll(shardB.subList(0, 2));
        try (TestStack replay = new TestStack(dir, routes, AgentMode.REPLAY)) {
            for (String test : suite) {
                assertThat(call(replay, test).statusCode()).as(test).isEqualTo(200);
            }
        }
    }

    @Test
    void givenRecordIfMissingOnKafka_whenARequestMissesThenHits_thenBothReplayEventsOnTheTopicAsInTheFile()
            throws Exception {
        String test = A + "test_1";
        SettingValues values = SettingValues.DEFAULTS.with(ReplayLog.RUN_ID, RUN);
        List<ReplayEvent> onTopic = new ArrayList<>();
        try (ProviderUpstream upstream = ProviderUpstream.start();
                TestStack stack = new TestStack(
                        dir,
                        List.of(new Route("openai", "/", URI.create(upstream.url()), "https://api.openai.com/v1")),
                        AgentMode.RECORD_IF_MISSING,
                        values)) {
            assertThat(call(stack, test).headers().firstValue("X-Tapeline-Replay"))
                    .isEmpty();
            stack.awaitFixtures(1);
            assertThat(call(stack, test).headers().firstValue("X-Tapeline-Replay"))
                    .isPresent();

            Map<String, Object> config = Map.of(
                    "bootstrap.servers",
                    stack.stack.bootstrapServers(),
                    "group.id",
                    "check-" + System.nanoTime(),
                    "auto.offset.reset",
                    "earliest");
            try (KafkaConsumer<String, ReplayEvent> consumer = new KafkaConsumer<>(
                    config,
                    new StringDeserializer(),
                    ConfluentAvroSerde.<ReplayEvent>forValues(
                            ReplayEvent.getClassSchema(),
                            new RestSchemaRegistryClient(RegistryConfig.of(stack.stack.registryUrl()))))) {
                consumer.subscribe(List.of(Topics.REPLAY_EVENTS));
                await().atMost(Duration.ofSeconds(60)).until(() -> {
                    consumer.poll(Duration.ofMillis(200)).forEach(record -> onTopic.add(record.value()));
                    return onTopic.size() >= 2;
                });
            }

            // coverage straight from the topic, by run id
            Cli.Result coverage = Cli.run(
                    "coverage",
                    dir.resolve("fixtures").toString(),
                    "--bootstrap-servers",
                    stack.stack.bootstrapServers(),
                    "--schema-registry-url",
                    stack.stack.registryUrl(),
                    "--run-id",
                    RUN,
                    "--json");
            assertThat(coverage.exitCode()).as(coverage.err()).isZero();
            JsonNode report = JSON.readTree(coverage.out());
            assertThat(report.path("used").path(fixturesByTest().get(test)).asLong())
                    .isEqualTo(1);
            assertThat(report.path("misses").path(0).path("testId").asText()).isEqualTo(test);
            assertThat(report.path("unused")).isEmpty();
        }
        assertThat(onTopic).extracting(ReplayEvent::getOutcome).containsExactly(ReplayOutcome.MISS, ReplayOutcome.HIT);
        assertThat(onTopic).extracting(ReplayEvent::getRunId).containsOnly(RUN);
        String fixture = fixturesByTest().get(test);
        assertThat(onTopic.get(1).getFixtures()).containsExactly(fixture);
        List<ReplayEvent> inFile = Files.readAllLines(dir.resolve("data/replay-events/" + RUN + ".jsonl")).stream()
                .map(ReplayLog::fromJson)
                .toList();
        assertThat(inFile).isEqualTo(onTopic);
    }
}
