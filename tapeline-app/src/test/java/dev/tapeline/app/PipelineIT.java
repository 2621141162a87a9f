package dev.tapeline.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.tapeline.agent.Route;
import dev.tapeline.fixture.CapturedExchange;
import dev.tapeline.fixture.FixtureProfile;
import dev.tapeline.fixture.FixtureRequest;
import dev.tapeline.fixture.RenderedFixture;
import dev.tapeline.fixture.path.TestIds;
import dev.tapeline.fixture.python.PyJson;
import dev.tapeline.fixture.shape.FixtureRenderer;
import dev.tapeline.fixture.wire.SseFramer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The walking skeleton end to end: the official OpenAI Java SDK talks to the agent, events cross
 * a real in-JVM KRaft broker, the topology assembles recordings, the sink writes fixtures.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(TestInfra.Available.class)
class PipelineIT {

    private static final String SECRET = "sk-tapeline-it-9f3c1e7a5b2d4c6e8a0b";
    private static final String RECORDED_BASE = "https://api.openai.com/v1";
    private static final String TEST_FILE = "tests/integration/inference/test_pipeline.py";

    @TempDir
    static Path dir;

    static SimulatedUpstream upstream;
    static TestStack tapeline;
    static OpenAIClient client;

    @BeforeAll
    static void start() throws Exception {
        upstream = SimulatedUpstream.start(2);
        tapeline = TestStack.onInfra(dir, List.of(new Route("openai", "/", URI.create(upstream.url()), RECORDED_BASE)));
        client = sdk("test_sdk");
    }

    @AfterAll
    static void stop() {
        if (tapeline != null) {
            tapeline.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    private static OpenAIClient sdk(String test) {
        return OpenAIOkHttpClient.builder()
                .baseUrl(tapeline.agentUrl() + "/v1")
                .apiKey(SECRET)
                .maxRetries(0)
                .putHeader("X-LlamaStack-Provider-Data", TestIds.providerDataHeader(TEST_FILE + "::" + test))
                .build();
    }

    private static ChatCompletionCreateParams params(String message) {
        return ChatCompletionCreateParams.builder()
                .model("sim-1")
                .addUserMessage(message)
                .build();
    }

    /** The fixture the sink must have written for what the upstream saw and sent. */
    private static RenderedFixture expectedFixture(SimulatedUpstream.Served served, String testId) {
        List<byte[]> chunks = new ArrayList<>();
        boolean streaming = served.responseBody().startsWith("data: ");
        if (streaming) {
            SseFramer framer = new SseFramer((name, data) -> chunks.add(data), 1 << 20);
            framer.feed(served.responseBody().getBytes(StandardCharsets.UTF_8));
            framer.finish();
        } else {
            chunks.add(served.responseBody().getBytes(StandardCharsets.UTF_8));
        }
        return new FixtureRenderer(FixtureProfile.CURRENT)
                .render(CapturedExchange.of(
                        new FixtureRequest(
                                "POST",
                                RECORDED_BASE + served.path(),
                                served.path(),
                                served.requestBody(),
                                testId,
                                null),
                        null,
                        200,
                        streaming,
                        chunks));
    }

    private static SimulatedUpstream.Served servedFor(String marker) {
        return upstream.served().stream()
                .filter(s -> new String(s.requestBody(), StandardCharsets.UTF_8).contains(marker))
                .reduce((a, b) -> b)
                .orElseThrow();
    }

    /** Posts a raw chat completion with the given extra headers; returns the response and what the upstream saw. */
    private static Map.Entry<HttpResponse<byte[]>, SimulatedUpstream.Served> postRaw(
            String body, String test, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(tapeline.agentUrl() + "/v1/chat/completions"))
                .header("Authorization", "Bearer " + SECRET)
                .header("X-Test-Id", TEST_FILE + "::" + test)
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            request.headers(headers);
        }
        HttpResponse<byte[]> response = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .build()
                .send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        SimulatedUpstream.Served served = upstream.served().stream()
                .filter(s -> new String(s.requestBody(), StandardCharsets.UTF_8).equals(body))
                .findFirst()
                .orElseThrow();
        return Map.entry(response, served);
    }

    private static void assertFixtureWritten(RenderedFixture expected) {
        Path path = tapeline.fixtures.resolve(expected.relativePath());
        await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(path));
        assertThat(path).hasBinaryContent(expected.content());
    }

    @Test
    @Order(1)
    void givenOpenAiSdk_whenStreamingChat_thenClientGetsEveryUpstreamChunkAndFixtureIsWritten() throws Exception {
        List<ChatCompletionChunk> received;
        try (StreamResponse<ChatCompletionChunk> stream =
                client.chat().completions().createStreaming(params("stream me three words"))) {
            received = stream.stream().toList();
        }

        SimulatedUpstream.Served served = servedFor("stream me three words");
        assertThat(served.acceptEncoding())
                .as("the SDK asks for gzip, so the stream came compressed")
                .contains("gzip");
        List<String> sentData = new ArrayList<>();
        SseFramer framer =
                new SseFramer((name, data) -> sentData.add(new String(data, StandardCharsets.UTF_8)), 1 << 20);
        framer.feed(served.responseBody().getBytes(StandardCharsets.UTF_8));
        framer.finish();
        List<String> sentChunks = sentData.subList(0, sentData.size() - 1); // all but [DONE]
        assertThat(received).hasSize(sentChunks.size());
        String receivedText = received.stream()
                .flatMap(c -> c.choices().stream())
                .map(c -> c.delta().content().orElse(""))
                .collect(Collectors.joining());
        String sentText = sentChunks.stream()
                .map(PyJson::parse)
                .map(c ->
                        c.path("choices").path(0).path("delta").path("content").asText(""))
                .collect(Collectors.joining());
        assertThat(receivedText).isEqualTo(sentText).isEqualTo("Simulated reply to: stream me three words");
        assertThat(received)
                .extracting(ChatCompletionChunk::id)
                .containsOnly(PyJson.parse(sentChunks.get(0)).path("id").asText());

        RenderedFixture expected = expectedFixture(served, TEST_FILE + "::test_sdk");
        assertThat(expected.relativePath()).startsWith("tests/integration/inference/recordings/");
        assertFixtureWritten(expected);
        String fixture = Files.readString(tapeline.fixtures.resolve(expected.relativePath()));
        assertThat(fixture)
                .contains(
                        "\"url\": \"https://api.openai.com/v1/v1/chat/completions\"",
                        "\"is_streaming\": true",
                        "\"id\": \"rec-" + expected.requestHash().substring(0, 12) + "\"");
    }

    @Test
    @Order(2)
    void givenOpenAiSdk_whenNonStreamingChat_thenClientGetsUpstreamAnswerAndFixtureIsWritten() {
        ChatCompletion completion = client.chat().completions().create(params("answer me at once"));

        SimulatedUpstream.Served served = servedFor("answer me at once");
        assertThat(served.acceptEncoding())
                .as("the SDK asks for gzip, so the answer came compressed")
                .contains("gzip");
        assertThat(completion.id())
                .isEqualTo(PyJson.parse(served.responseBody()).path("id").asText());
        assertThat(completion.choices().get(0).message().content()).contains("Simulated reply to: answer me at once");
        assertFixtureWritten(expectedFixture(served, TEST_FILE + "::test_sdk"));
    }

    @Test
    @Order(3)
    void givenRawClient_whenStreamingAndNot_thenResponseBytesIdenticalToUpstream() throws Exception {
        for (String body : List.of(
                "{\"model\":\"sim-1\",\"messages\":[{\"role\":\"user\",\"content\":\"raw bytes please\"}],\"stream\":true}",
                "{\"model\":\"sim-1\",\"messages\":[{\"role\":\"user\",\"content\":\"raw json please\"}]}")) {
            Map.Entry<HttpResponse<byte[]>, SimulatedUpstream.Served> exchange = postRaw(body, "test_raw");
            HttpResponse<byte[]> response = exchange.getKey();
            SimulatedUpstream.Served served = exchange.getValue();

            assertThat(response.body()).isEqualTo(served.responseBody().getBytes(StandardCharsets.UTF_8));
            assertFixtureWritten(expectedFixture(served, TEST_FILE + "::test_raw"));
        }
    }

    @Test
    @Order(4)
    void givenClientAcceptingGzip_whenStreamingAndNot_thenClientGetsCompressedBytesAndFixtureIsDecoded()
            throws Exception {
        for (String body : List.of(
                "{\"model\":\"sim-1\",\"messages\":[{\"role\":\"user\",\"content\":\"gzip stream\"}],\"stream\":true}",
                "{\"model\":\"sim-1\",\"messages\":[{\"role\":\"user\",\"content\":\"gzip json\"}]}")) {
            Map.Entry<HttpResponse<byte[]>, SimulatedUpstream.Served> exchange =
                    postRaw(body, "test_gzip", "Accept-Encoding", "gzip");
            HttpResponse<byte[]> response = exchange.getKey();
            SimulatedUpstream.Served served = exchange.getValue();

            assertThat(response.headers().firstValue("Content-Encoding")).contains("gzip");
            byte[] decoded =
                    new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(response.body())).readAllBytes();
            assertThat(new String(decoded, StandardCharsets.UTF_8)).isEqualTo(served.responseBody());
            assertFixtureWritten(expectedFixture(served, TEST_FILE + "::test_gzip"));
        }
    }

    @Test
    @Order(5)
    void givenSeveralRequests_whenDone_thenExactlyOneFixturePerRequest() throws Exception {
        int before = upstream.served().size();
        OpenAIClient other = sdk("test_count");
        for (int i = 0; i < 5; i++) {
            other.chat().completions().create(params("count request " + i));
        }
        tapeline.awaitFixtures(before + 5);

        List<Path> fixtures = FixtureFiles.visible(tapeline.fixtures);
        assertThat(fixtures).hasSize(upstream.served().size());
        assertThat(fixtures).allMatch(p -> p.getFileName().toString().matches("[0-9a-f]{64}\\.json"));
    }

    @Test
    @Order(6)
    void givenUndecodableRecordsOnBothTopics_whenMoreTrafficFollows_thenProcessorAndSinkKeepGoing() throws Exception {
        try (org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]> producer =
                new org.apache.kafka.clients.producer.KafkaProducer<>(
                        Map.of("bootstrap.servers", tapeline.stack.bootstrapServers()),
                        new org.apache.kafka.common.serialization.ByteArraySerializer(),
                        new org.apache.kafka.common.serialization.ByteArraySerializer())) {
            for (String topic : List.of("tapeline.capture.events", "tapeline.recordings")) {
                for (int partition = 0; partition < 3; partition++) {
                    producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(
                                    topic,
                                    partition,
                                    "poison".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                                    "not avro at all".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                            .get();
                    // Confluent wire format with a schema id the registry never issued
                    producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(
                                    topic,
                                    partition,
                                    "unknown-id".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                                    new byte[] {0, 0, 6, 121, 50, 2, 4, 6}))
                            .get();
                }
            }
        }

        Map.Entry<HttpResponse<byte[]>, SimulatedUpstream.Served> exchange = postRaw(
                "{\"model\":\"sim-1\",\"messages\":[{\"role\":\"user\",\"content\":\"after the poison\"}]}",
                "test_poison");

        assertThat(exchange.getKey().statusCode()).isEqualTo(200);
        assertFixtureWritten(expectedFixture(exchange.getValue(), TEST_FILE + "::test_poison"));
        // both components kept every poison record on the dead-letter topic, as it was, the error in headers
        List<org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]>> dead = deadLetters(
                record -> List.of("poison", "unknown-id")
                        .contains(new String(record.key(), java.nio.charset.StandardCharsets.UTF_8)),
                12);
        assertThat(dead).hasSize(12).allSatisfy(record -> {
            assertThat(record.headers().lastHeader("__streams.errors.exception"))
                    .isNotNull();
            assertThat(record.headers().lastHeader("__streams.errors.offset")).isNotNull();
        });
        assertThat(dead)
                .extracting(r -> new String(
                        r.headers().lastHeader("__streams.errors.topic").value(),
                        java.nio.charset.StandardCharsets.UTF_8))
                .containsOnly("tapeline.capture.events", "tapeline.recordings");
        assertThat(dead)
                .filteredOn(r -> new String(r.key(), java.nio.charset.StandardCharsets.UTF_8).equals("unknown-id"))
                .hasSize(6)
                .allSatisfy(r -> assertThat(new String(
                                r.headers()
                                        .lastHeader("__streams.errors.message")
                                        .value(),
                                java.nio.charset.StandardCharsets.UTF_8))
                        .contains("schema id 424242"));
    }

    @Test
    @Order(7)
    void givenARecordingTheSinkFailsOn_whenConsumed_thenItGoesToTheDeadLettersWithTheErrorCountedAndTheSinkGoesOn()
            throws Exception {
        // a Recording no agent writes: its URL is not a URI, so rendering fails in a way no rule explains (a bug)
        dev.tapeline.schema.Recording broken = dev.tapeline.schema.Recording.newBuilder()
                .setFixtureKey("broken-url")
                .setCompletionId("c-broken")
                .setAgentId("elsewhere")
                .setStartedAtMs(java.time.Instant.parse("2026-12-01T00:00:00Z"))
                .setOutcome(dev.tapeline.schema.Outcome.COMPLETED)
                .setDurationNanos(1)
                .setRequest(dev.tapeline.schema.RecordedRequest.newBuilder()
                        .setMethod("POST")
                        .setUrl("http://[broken/v1/chat/completions")
                        .setEndpoint("/v1/chat/completions")
                        .setHeaders(List.of())
                        .setBody(java.nio.ByteBuffer.wrap(
                                "{\"model\":\"m\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                        .build())
                .setResponse(dev.tapeline.schema.RecordedResponse.newBuilder()
                        .setStatus(200)
                        .setHeaders(List.of())
                        .setFraming(dev.tapeline.schema.Framing.BODY)
                        .setChunks(List.of(new dev.tapeline.schema.RecordedChunk(
                                0L,
                                null,
                                java.nio.ByteBuffer.wrap(
                                        "{\"id\":\"x\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8)))))
                        .build())
                .build();
        dev.tapeline.schema.registry.RestSchemaRegistryClient registry =
                new dev.tapeline.schema.registry.RestSchemaRegistryClient(
                        dev.tapeline.schema.registry.RegistryConfig.of(tapeline.stack.registryUrl()));
        try (org.apache.kafka.clients.producer.KafkaProducer<String, dev.tapeline.schema.Recording> producer =
                new org.apache.kafka.clients.producer.KafkaProducer<>(
                        Map.of("bootstrap.servers", tapeline.stack.bootstrapServers()),
                        new org.apache.kafka.common.serialization.StringSerializer(),
                        dev.tapeline.schema.serde.ConfluentAvroSerde.<dev.tapeline.schema.Recording>forValues(
                                dev.tapeline.schema.Recording.getClassSchema(), registry))) {
            producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(
                            "tapeline.recordings", "broken-url", broken))
                    .get();
        }

        Map.Entry<HttpResponse<byte[]>, SimulatedUpstream.Served> exchange = postRaw(
                "{\"model\":\"sim-1\",\"messages\":[{\"role\":\"user\",\"content\":\"after the bug\"}]}", "test_bug");

        assertFixtureWritten(expectedFixture(exchange.getValue(), TEST_FILE + "::test_bug"));
        List<org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]>> dead = deadLetters(
                record -> new String(record.key(), java.nio.charset.StandardCharsets.UTF_8).equals("broken-url"), 1);
        assertThat(dead).hasSize(1);
        assertThat(new String(
                        dead.get(0)
                                .headers()
                                .lastHeader("__streams.errors.exception")
                                .value(),
                        java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo("java.lang.IllegalArgumentException");
        assertThat(new String(
                        dead.get(0)
                                .headers()
                                .lastHeader("tapeline.errors.component")
                                .value(),
                        java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo("sink");
        assertThat(tapeline.stack.pipeline().scrapeMetrics())
                .contains("tapeline_sink_dead_letters_total{reason=\"writer_failed\"} 1.0");
    }

    /** The first {@code count} records on the dead-letter topic that {@code wanted} picks, read for up to 30 s. */
    private List<org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]>> deadLetters(
            java.util.function.Predicate<org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]>> wanted,
            int count) {
        List<org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]>> dead = new java.util.ArrayList<>();
        try (org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]> consumer =
                new org.apache.kafka.clients.consumer.KafkaConsumer<>(
                        Map.of("bootstrap.servers", tapeline.stack.bootstrapServers(), "auto.offset.reset", "earliest"),
                        new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
                        new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            List<org.apache.kafka.common.TopicPartition> partitions =
                    consumer.partitionsFor("tapeline.dead-letters").stream()
                            .map(p -> new org.apache.kafka.common.TopicPartition(p.topic(), p.partition()))
                            .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
            while (dead.size() < count && System.nanoTime() < deadline) {
                consumer.poll(java.time.Duration.ofMillis(200)).forEach(record -> {
                    if (wanted.test(record)) {
                        dead.add(record);
                    }
                });
            }
        }
        return dead;
    }

    @Test
    @Order(8)
    void givenEverythingAbove_whenEveryByteOfEveryTopicIsScanned_thenTheApiKeyIsNowhere() throws Exception {
        TopicScanner.Scan scan = TopicScanner.find(
                tapeline.stack.bootstrapServers(),
                SECRET.getBytes(StandardCharsets.UTF_8),
                "Bearer ".getBytes(StandardCharsets.UTF_8));

        assertThat(scan.topics()).contains("tapeline.capture.events", "tapeline.recordings");
        assertThat(scan.topics()).anyMatch(t -> t.endsWith("-changelog"));
        assertThat(scan.records()).isGreaterThan(50);
        assertThat(scan.hits()).isEmpty();
        try (Stream<Path> files = Files.walk(tapeline.fixtures)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                assertThat(Files.readString(file)).doesNotContain(SECRET).contains("\"headers\": {}");
            }
        }
    }
}
