package dev.tapeline.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tapeline.agent.AgentMode;
import dev.tapeline.agent.Route;
import dev.tapeline.sink.FixtureSink;
import dev.tapeline.sink.FixtureWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The brief's §5 matrix, line by line, on an in-JVM broker that the test stops and starts. */
class ReliabilityIT {

    @TempDir
    Path dir;

    private static HttpRequest streaming(String agentUrl, int i) {
        return HttpRequest.newBuilder(URI.create(agentUrl + "/v1/chat/completions"))
                .header("X-Test-Id", "tests/integration/reliability/test_outage.py::test_stream[" + i + "]")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"sim-1\",\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"exchange " + i + "\"}],\"stream\":true}"))
                .build();
    }

    @Test
    void
            givenTheBrokerStoppedFor30s_when1000StreamsRun_thenEveryClientIsServedAndEveryFixtureWrittenOnceAfterItReturns()
                    throws Exception {
        int brokerPort = Ports.free();
        int controllerPort = Ports.free();
        Path kafkaDir = dir.resolve("kafka");
        EmbeddedKafka kafka = EmbeddedKafka.start(kafkaDir, brokerPort, controllerPort);
        Map<Path, List<FixtureWriter.Result>> writes = new ConcurrentHashMap<>();
        try (SimulatedUpstream upstream = SimulatedUpstream.start(0);
                Stack stack = Stack.start(
                        Stack.Settings.allInOne(
                                        dir.resolve("data"),
                                        List.of(new Route(
                                                "sim", "/", URI.create(upstream.url()), "http://localhost:8000/v1")),
                                        dir.resolve("fixtures"),
                                        AgentMode.RECORD)
                                .withKafka(kafka.bootstrapServers(), null),
                        (FixtureSink.Written w) -> writes.computeIfAbsent(
                                        w.path(), p -> new java.util.concurrent.CopyOnWriteArrayList<>())
                                .add(w.result()))) {
            String agent = "http://127.0.0.1:" + stack.agentPort();
            HttpClient http = HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .executor(java.util.concurrent.Executors.newFixedThreadPool(16))
                    .build();
            http.send(streaming(agent, -1), HttpResponse.BodyHandlers.ofString());
            await().atMost(Duration.ofSeconds(60)).until(() -> writes.size() == 1);

            kafka.close();
            long outageStart = System.nanoTime();
            List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                calls.add(http.sendAsync(streaming(agent, i), HttpResponse.BodyHandlers.ofString()));
            }
            CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new))
                    .get(120, java.util.concurrent.TimeUnit.SECONDS);
            for (CompletableFuture<HttpResponse<String>> call : calls) {
                assertThat(call.get().statusCode()).isEqualTo(200);
                assertThat(call.get().body()).contains("Simulated").endsWith("data: [DONE]\n\n");
            }
            // every client got its whole stream while the broker was still away
            Thread.sleep(Math.max(
                    0,
                    Duration.ofSeconds(30).toMillis()
                            - Duration.ofNanos(System.nanoTime() - outageStart).toMillis()));

            kafka = EmbeddedKafka.start(kafkaDir, brokerPort, controllerPort);

            await().atMost(Duration.ofSeconds(180))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> writes.size() == 1001);
            Thread.sleep(2_000);
            assertThat(writes).hasSize(1001);
            assertThat(writes.values())
                    .allSatisfy(results -> assertThat(results).containsExactly(FixtureWriter.Result.WRITTEN));
        } finally {
            kafka.close();
        }
    }

    @Test
    void givenA20MbRequestAndA20MbAnswer_whenCaptured_thenTheFixtureHoldsBothWhole() throws Exception {
        try (SimulatedUpstream upstream = SimulatedUpstream.start(0);
                TestStack tapeline = new TestStack(
                        dir, List.of(new Route("sim", "/", URI.create(upstream.url()), "http://localhost:8000/v1")))) {
            // one 20 MB "word" (an image in base64, say): the simulated model repeats it in its answer
            String blob = java.util.Base64.getEncoder()
                    .encodeToString(new byte[15 * 1024 * 1024])
                    .replace('A', 'q');
            HttpRequest request = HttpRequest.newBuilder(URI.create(tapeline.agentUrl() + "/v1/chat/completions"))
                    .header("X-Test-Id", "tests/integration/reliability/test_large.py::test_large")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"sim-1\",\"messages\":[{\"role\":\"user\","
                            + "\"content\":\"" + blob + "\"}]}"))
                    .build();

            HttpResponse<String> response = HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .build()
                    .send(request, HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode())
                    .as(response.body().length() < 1000 ? response.body() : "")
                    .isEqualTo(200);
            assertThat(response.body().length()).isGreaterThan(blob.length());
            tapeline.awaitFixtures(1);

            dev.tapeline.fixture.repo.FixtureFile fixture = dev.tapeline.fixture.repo.FixtureFile.read(
                    tapeline.written.keySet().iterator().next());
            assertThat(fixture.requestBody()
                            .path("messages")
                            .path(0)
                            .path("content")
                            .asText())
                    .isEqualTo(blob);
            String content = fixture.root()
                    .path("response")
                    .path("body")
                    .path("__data__")
                    .path("choices")
                    .path(0)
                    .path("message")
                    .path("content")
                    .asText();
            String expected = "Simulated reply to: " + blob;
            assertThat(content.length())
                    .as("the recorded answer's length (first difference at %d)", firstDifference(content, expected))
                    .isEqualTo(expected.length());
            assertThat(content).isEqualTo(expected);
        }
    }

    private static int firstDifference(String a, String b) {
        int i = 0;
        while (i < Math.min(a.length(), b.length()) && a.charAt(i) == b.charAt(i)) {
            i++;
        }
        return i;
    }

    @Test
    void givenSecretsPlantedInHeadersQueryAndBody_whenEveryByteOfEveryTopicAndFixtureIsScanned_thenNoneIsFound()
            throws Exception {
        List<String> secrets = List.of(
                "sk-bearer-SECRET-1",
                "api-key-SECRET-2",
                "x-api-key-SECRET-3",
                "cookie-SECRET-4",
                "proxy-SECRET-5",
                "org-header-SECRET-6",
                "query-key-SECRET-7",
                "query-sig-SECRET-8",
                "body-key-SECRET-9",
                "body-token-SECRET-10");
        Stack.Secrets configured = new Stack.Secrets(
                java.util.Set.of("X-Org-Secret"), java.util.Set.of("sig"), List.of("api_key", "metadata.*.token"));
        try (SimulatedUpstream upstream = SimulatedUpstream.start(0);
                Stack stack = Stack.start(
                        Stack.Settings.allInOne(
                                        dir.resolve("data"),
                                        List.of(new Route(
                                                "sim", "/", URI.create(upstream.url()), "http://localhost:8000/v1")),
                                        dir.resolve("fixtures"),
                                        AgentMode.RECORD)
                                .withSecurity(configured, Map.of()),
                        w -> {})) {
            HttpClient http =
                    HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            for (boolean stream : new boolean[] {true, false}) {
                HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + stack.agentPort()
                                + "/v1/chat/completions?key=" + secrets.get(6) + "&sig=" + secrets.get(7)))
                        .header("Authorization", "Bearer " + secrets.get(0))
                        .header("api-key", secrets.get(1))
                        .header("x-api-key", secrets.get(2))
                        .header("Cookie", "session=" + secrets.get(3))
                        .header("Proxy-Authorization", "Basic " + secrets.get(4))
                        .header("X-Org-Secret", secrets.get(5))
                        .header(
                                "X-Test-Id",
                                "tests/integration/reliability/test_secrets.py::test_planted[" + stream + "]")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"sim-1\",\"api_key\":\"" + secrets.get(8)
                                + "\",\"metadata\":[{\"token\":\"" + secrets.get(9) + "\"}],\"messages\":[{\"role\":"
                                + "\"user\",\"content\":\"hello\"}],\"stream\":" + stream + "}"))
                        .build();
                assertThat(http.send(request, HttpResponse.BodyHandlers.ofString())
                                .statusCode())
                        .isEqualTo(200);
                assertThat(new String(
                                upstream.served()
                                        .get(upstream.served().size() - 1)
                                        .requestBody(),
                                java.nio.charset.StandardCharsets.UTF_8))
                        .as("the upstream still gets them")
                        .contains(secrets.get(8));
            }
            Path fixtures = dir.resolve("fixtures");
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> FixtureFiles.visible(fixtures).size() == 2);

            TopicScanner.Scan scan = TopicScanner.find(
                    stack.bootstrapServers(),
                    secrets.stream()
                            .map(s -> s.getBytes(java.nio.charset.StandardCharsets.UTF_8))
                            .toArray(byte[][]::new));

            assertThat(scan.topics()).contains("tapeline.capture.events", "tapeline.recordings");
            assertThat(scan.hits()).isEmpty();
            try (java.util.stream.Stream<Path> files = java.nio.file.Files.walk(dir)) {
                for (Path file : files.filter(java.nio.file.Files::isRegularFile)
                        .filter(p -> p.startsWith(fixtures) || p.toString().contains("journal"))
                        .toList()) {
                    byte[] bytes = java.nio.file.Files.readAllBytes(file);
                    for (String secret : secrets) {
                        assertThat(TopicScanner.contains(
                                        bytes, secret.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                                .as(secret + " in " + file)
                                .isFalse();
                    }
                }
            }
        }
    }
}
