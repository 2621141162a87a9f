package dev.tapeline.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tapeline.fixture.CapturedExchange;
import dev.tapeline.fixture.FixtureProfile;
import dev.tapeline.fixture.FixtureRequest;
import dev.tapeline.fixture.RenderedFixture;
import dev.tapeline.fixture.python.PyJson;
import dev.tapeline.fixture.shape.FixtureRenderer;
import dev.tapeline.fixture.wire.SseFramer;
import dev.tapeline.schema.Buffers;
import dev.tapeline.schema.Outcome;
import dev.tapeline.schema.Recording;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tapeline scaled out on a real cluster: three Kafka nodes, two agents, two processors and two
 * sinks, each its own JVM, one schema registry. Under streaming load a broker is killed and
 * brought back, a processor is killed (the other takes over), a sink is stopped; every client
 * gets its whole answer, every exchange is on the recordings topic exactly once, and every
 * fixture is written once, as the answer the client got renders.
 */
@ExtendWith(TestInfra.Available.class)
class ScaleOutIT {

    private static final int EXCHANGES = 1_200;
    private static final Duration PACE = Duration.ofMillis(50);
    private static final String RECORDED_BASE = "http://localhost:8000/v1";
    private static final String TEST_FILE = "tests/integration/scale/test_scale.py";

    @TempDir
    Path dir;

    /** One part of Tapeline in a JVM of its own. */
    private record Part(String name, ChildJvm jvm, List<String> output, int adminPort, int agentPort) {
        long fixturesWritten(Path path) {
            return output.stream()
                    .filter(line -> line.equals("fixture written: " + path))
                    .count();
        }
    }

    private record Answer(int index, boolean stream, int status, String body) {}

    @Test
    void givenTwoOfEachPartOnThreeBrokers_whenABrokerAProcessorAndASinkGoUnderLoad_thenEveryExchangeIsRecordedOnce()
            throws Exception {
        TestInfra infra = TestInfra.current();
        try (TestInfra.Cluster kafka = infra.cluster(Files.createDirectories(dir.resolve("kafka")), 3);
                TestInfra.Registry registry = infra.registry();
                SimulatedUpstream upstream = SimulatedUpstream.start(10)) {
            Path fixtures = dir.resolve("fixtures");
            Map<String, Part> parts = new LinkedHashMap<>();
            try {
                for (String name : List.of("processor-1", "processor-2", "sink-1", "sink-2", "agent-1", "agent-2")) {
                    parts.put(name, start(name, kafka, registry.url(), upstream.url(), fixtures));
                }
                for (Part part : parts.values()) {
                    part.jvm().awaitBanner(part.output(), Duration.ofSeconds(120));
                }
                awaitReady(parts.values());
                assertReplicated(kafka);

                List<Answer> answers = load(parts, kafka);

                assertThat(answers).hasSize(EXCHANGES).allSatisfy(answer -> {
                    assertThat(answer.status())
                            .as("exchange %d", answer.index())
                            .isEqualTo(200);
                    if (answer.stream()) {
                        assertThat(answer.body())
                                .as("exchange %d", answer.index())
                                .endsWith("data: [DONE]\n\n");
                    } else {
                        assertThat(PyJson.parse(answer.body()).path("object").asText())
                                .isEqualTo("chat.completion");
                    }
                });
                Map<String, List<Recording>> byExchange = RecordingsOnTopic.byExchange(
                        kafka.bootstrapServers(),
                        registry.url(),
                        ScaleOutIT::exchangeOf,
                        EXCHANGES,
                        Duration.ofSeconds(5));
                assertThat(byExchange).as("exchanges on the recordings topic").hasSize(EXCHANGES);
                assertThat(byExchange.values()).allSatisfy(recordings -> {
                    assertThat(recordings).as("an exchange's recordings").hasSize(1);
                    assertThat(recordings.get(0).getOutcome()).isEqualTo(Outcome.COMPLETED);
                });
                await().atMost(Duration.ofSeconds(120))
                        .until(() -> FixtureFiles.visible(fixtures).size() >= EXCHANGES);
                for (Answer answer : answers) {
                    RenderedFixture expected = expectedFixture(answer);
                    Path file = fixtures.resolve(expected.relativePath());
                    assertThat(file).as("exchange %d", answer.index()).hasBinaryContent(expected.content());
                    assertThat(parts.values().stream()
                                    .mapToLong(part -> part.fixturesWritten(file))
                                    .sum())
                            .as("writes of %s", file)
                            .isEqualTo(1);
                }
                assertThat(FixtureFiles.visible(fixtures)).hasSize(EXCHANGES);
            } finally {
                for (Part part : parts.values()) {
                    part.jvm().process().toHandle().destroy();
                }
                Path logs = Files.createDirectories(Path.of("target", "scale-out"));
                for (Part part : parts.values()) {
                    part.jvm().process().waitFor(60, TimeUnit.SECONDS);
                    part.jvm().reader().join(10_000);
                    // what each part said, for a failure's diagnosis
                    Files.write(logs.resolve(part.name() + ".log"), part.output());
                }
            }
        }
    }

    private Part start(String name, TestInfra.Cluster kafka, String registryUrl, String upstreamUrl, Path fixtures)
            throws Exception {
        int adminPort = Ports.free();
        List<String> args = new ArrayList<>(List.of(
                "--components", name.substring(0, name.indexOf('-')).toUpperCase(Locale.ROOT),
                "--bootstrap-servers", kafka.bootstrapServers(),
                "--schema-registry-url", registryUrl,
                "--data-dir", dir.resolve(name).toString(),
                "--fixtures", fixtures.toString(),
                "--metrics-port", String.valueOf(adminPort),
                // a member that dies is noticed in seconds, not after the default 45 s session
                "--kafka-config", "session.timeout.ms=6000",
                "--kafka-config", "heartbeat.interval.ms=1500"));
        int agentPort = -1;
        if (name.startsWith("agent")) {
            agentPort = Ports.free();
            args.addAll(List.of(
                    "--port",
                    String.valueOf(agentPort),
                    "--agent-id",
                    name,
                    "--upstream",
                    upstreamUrl,
                    "--recorded-base-url",
                    RECORDED_BASE));
        }
        List<String> output = new CopyOnWriteArrayList<>();
        return new Part(name, ChildJvm.run(List.of("-Xmx384m"), args, output), output, adminPort, agentPort);
    }

    /** Every part answers /health/ready with 200. */
    private static void awaitReady(Collection<Part> parts) {
        HttpClient http = HttpClient.newHttpClient();
        await().atMost(Duration.ofSeconds(120)).ignoreExceptions().until(() -> {
            for (Part part : parts) {
                HttpResponse<String> ready = http.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + part.adminPort() + "/health/ready"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                if (ready.statusCode() != 200) {
                    return false;
                }
            }
            return true;
        });
    }

    /** Tapeline's topics and the processor's changelogs: three replicas each. */
    private static void assertReplicated(TestInfra.Cluster kafka) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            List<String> topics = admin.listTopics().names().get().stream()
                    .filter(name -> name.startsWith("tapeline"))
                    .sorted()
                    .toList();
            Map<String, TopicDescription> described =
                    admin.describeTopics(topics).allTopicNames().get();
            assertThat(topics)
                    .contains("tapeline.capture.events", "tapeline.recordings", "tapeline.dead-letters")
                    .anyMatch(name -> name.endsWith("-changelog"));
            assertThat(described.values())
                    .allSatisfy(topic -> assertThat(topic.partitions().get(0).replicas())
                            .as(topic.name())
                            .hasSize(3));
        }
    }

    /**
     * The load, one exchange every {@link #PACE} across both agents, streamed and not; meanwhile a
     * broker is killed and started again 20 s later, a processor is killed, a sink is stopped.
     */
    private List<Answer> load(Map<String, Part> parts, TestInfra.Cluster kafka) throws Exception {
        List<Integer> agentPorts = parts.values().stream()
                .filter(p -> p.agentPort() > 0)
                .map(Part::agentPort)
                .toList();
        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .executor(Executors.newFixedThreadPool(8))
                .build();
        ExecutorService clients = Executors.newFixedThreadPool(24);
        List<Future<Answer>> futures = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < EXCHANGES; i++) {
            long due = start + i * PACE.toNanos();
            long wait = due - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            if (i == 200) {
                kafka.kill(2);
            } else if (i == 600) {
                kafka.restart(2); // 20 s after: 400 exchanges at 50 ms
            } else if (i == 700) {
                parts.get("processor-1").jvm().process().destroyForcibly();
            } else if (i == 900) {
                parts.get("sink-1").jvm().process().toHandle().destroy();
            }
            int index = i;
            boolean stream = i % 2 == 0;
            int port = agentPorts.get(i % agentPorts.size());
            futures.add(clients.submit(() -> exchange(http, port, index, stream)));
            assertThat(elapsed).as("the load keeps its pace").isLessThan(Duration.ofMinutes(5));
        }
        List<Answer> answers = new ArrayList<>();
        for (Future<Answer> future : futures) {
            answers.add(future.get(2, TimeUnit.MINUTES));
        }
        clients.shutdown();
        return answers;
    }

    private static Answer exchange(HttpClient http, int port, int index, boolean stream) throws Exception {
        HttpResponse<String> response = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                        .header("X-Test-Id", TEST_FILE + "::test_load[" + index + "]")
                        .POST(HttpRequest.BodyPublishers.ofString(requestBody(index, stream)))
                        .timeout(Duration.ofSeconds(90))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        return new Answer(index, stream, response.statusCode(), response.body());
    }

    private static String requestBody(int index, boolean stream) {
        return "{\"model\":\"sim-1\",\"messages\":[{\"role\":\"user\",\"content\":\"scale out " + index + " of many\"}]"
                + (stream ? ",\"stream\":true" : "") + "}";
    }

    /** The fixture the answer the client got renders to: what the written file must hold. */
    private static RenderedFixture expectedFixture(Answer answer) {
        List<byte[]> chunks = new ArrayList<>();
        if (answer.stream()) {
            SseFramer framer = new SseFramer((event, data) -> chunks.add(data), 1 << 20);
            framer.feed(answer.body().getBytes(StandardCharsets.UTF_8));
            framer.finish();
        } else {
            chunks.add(answer.body().getBytes(StandardCharsets.UTF_8));
        }
        return new FixtureRenderer(FixtureProfile.CURRENT)
                .render(CapturedExchange.of(
                        new FixtureRequest(
                                "POST",
                                RECORDED_BASE + "/v1/chat/completions",
                                "/v1/chat/completions",
                                requestBody(answer.index(), answer.stream()).getBytes(StandardCharsets.UTF_8),
                                TEST_FILE + "::test_load[" + answer.index() + "]",
                                null),
                        null,
                        200,
                        answer.stream(),
                        chunks));
    }

    /** Exchanges are told apart by their request (each has its own), which a duplicate repeats. */
    private static String exchangeOf(Recording recording) {
        JsonNode body = PyJson.parse(Buffers.toArray(recording.getRequest().getBody()));
        return body.path("messages").path(0).path("content").asText();
    }
}
