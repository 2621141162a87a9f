package dev.tapeline.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tapeline.agent.AgentMode;
import dev.tapeline.agent.Route;
import dev.tapeline.schema.Recording;
import dev.tapeline.schema.registry.RegistryConfig;
import dev.tapeline.schema.registry.RestSchemaRegistryClient;
import dev.tapeline.schema.registry.SchemaRegistryException;
import dev.tapeline.schema.serde.ConfluentAvroSerde;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tapeline's registry client, serde and recordings topic against software nobody here wrote: a
 * real Apicurio Registry (Confluent-compatible API, BACKWARD compatibility), {@code kcat}, and
 * Debian's {@code python3-confluent-kafka} with its Avro deserializer.
 */
class RegistryInteropIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    static ApicurioRegistry apicurio;

    @org.junit.jupiter.api.extension.RegisterExtension
    static final InJvmKafka kafka = new InJvmKafka();

    @BeforeAll
    static void start() throws Exception {
        apicurio = ApicurioRegistry.start(dir.resolve("apicurio"));
    }

    @AfterAll
    static void stop() {
        if (apicurio != null) {
            apicurio.close();
        }
    }

    private static RestSchemaRegistryClient client() {
        return new RestSchemaRegistryClient(RegistryConfig.of(apicurio.url()));
    }

    @Test
    void givenARealRegistry_whenTheSerdeWritesARecording_thenAnotherClientReadsItBackThroughTheRegisteredId()
            throws Exception {
        Recording recording = Recording.newBuilder()
                .setFixtureKey("0123abcd")
                .setCompletionId("c-1")
                .setAgentId("agent")
                .setTestId("tests/integration/interop/test_serde.py::test_roundtrip")
                .setStartedAtMs(java.time.Instant.ofEpochMilli(1_764_115_200_000L))
                .setOutcome(dev.tapeline.schema.Outcome.COMPLETED)
                .setDurationNanos(42)
                .setRequest(dev.tapeline.schema.RecordedRequest.newBuilder()
                        .setMethod("POST")
                        .setUrl("http://localhost:8000/v1/chat/completions")
                        .setEndpoint("/v1/chat/completions")
                        .setHeaders(List.of(new dev.tapeline.schema.Header("content-type", "application/json")))
                        .setBody(java.nio.ByteBuffer.wrap("{\"model\":\"m\"}".getBytes(StandardCharsets.UTF_8)))
                        .build())
                .setResponse(dev.tapeline.schema.RecordedResponse.newBuilder()
                        .setStatus(200)
                        .setHeaders(List.of())
                        .setFraming(dev.tapeline.schema.Framing.SSE)
                        .setChunks(List.of(new dev.tapeline.schema.RecordedChunk(
                                1_000L,
                                null,
                                java.nio.ByteBuffer.wrap("{\"id\":\"x\"}".getBytes(StandardCharsets.UTF_8)))))
                        .build())
                .build();
        byte[] bytes = ConfluentAvroSerde.<Recording>forValues(Recording.getClassSchema(), client())
                .serialize("interop.recordings", recording);

        Recording read = ConfluentAvroSerde.<Recording>forValues(Recording.getClassSchema(), client())
                .deserialize("interop.recordings", bytes);

        assertThat(read).isEqualTo(recording);
        int id = java.nio.ByteBuffer.wrap(bytes, 1, 4).getInt();
        assertThat(client().getById(id)).isEqualTo(Recording.getClassSchema());
        assertThat(client().register("interop.recordings-value", Recording.getClassSchema()))
                .as("idempotent")
                .isEqualTo(id);
    }

    @Test
    void givenBackwardCompatibility_whenARecordingSchemaDropsTheDefaultOfANewField_thenRefusedWithAClearError()
            throws Exception {
        String subject = "compat.recordings-value";
        Schema previous = withoutField(Recording.getClassSchema(), "source");
        client().register(subject, previous);
        int current = client().register(subject, Recording.getClassSchema());
        ObjectNode breaking =
                (ObjectNode) JSON.readTree(Recording.getClassSchema().toString());
        ((ArrayNode) breaking.get("fields"))
                .addObject()
                .put("name", "mandatory")
                .put("type", "string");

        assertThat(current)
                .as("today's schema is a BACKWARD-compatible change of the previous one")
                .isPositive();
        assertThatThrownBy(() -> client().register(subject, new Schema.Parser().parse(breaking.toString())))
                .isInstanceOf(SchemaRegistryException.class)
                .hasMessageContaining("refused to register schema under subject '" + subject + "'")
                .hasMessageContaining("HTTP 409")
                .satisfies(
                        e -> assertThat(((SchemaRegistryException) e).status()).isEqualTo(409));
    }

    private static Schema withoutField(Schema schema, String field) throws IOException {
        ObjectNode json = (ObjectNode) JSON.readTree(schema.toString());
        ArrayNode fields = (ArrayNode) json.get("fields");
        for (int i = 0; i < fields.size(); i++) {
            if (fields.get(i).path("name").asText().equals(field)) {
                fields.remove(i);
            }
        }
        return new Schema.Parser().parse(json.toString());
    }

    @Test
    void givenThePipelineOnTheRealRegistry_whenTrafficIsRecorded_thenKcatAndPythonReadEveryRecordingAsTapelineDoes()
            throws Exception {
        Path kcat = Path.of("/usr/bin/kcat");
        Path python = Path.of("/usr/bin/python3");
        ApicurioRegistry.required(
                Files.isExecutable(kcat), "kcat not installed (apt-get install kcat); interop test skipped");
        ApicurioRegistry.required(
                run(List.of(python.toString(), "-c", "import confluent_kafka.avro, requests"))
                                .exitCode()
                        == 0,
                "Debian's python3-confluent-kafka, python3-avro and python3-requests not installed; interop test skipped");
        try (SimulatedUpstream upstream = SimulatedUpstream.start(0);
                Stack stack = Stack.start(
                        Stack.Settings.allInOne(
                                        dir.resolve("data"),
                                        List.of(new Route(
                                                "sim", "/", URI.create(upstream.url()), "http://localhost:8000/v1")),
                                        dir.resolve("fixtures"),
                                        AgentMode.RECORD)
                                .withKafka(kafka.bootstrapServers(), apicurio.url()),
                        w -> {})) {
            HttpClient http = HttpClient.newHttpClient();
            for (boolean stream : new boolean[] {true, false}) {
                HttpResponse<String> response = http.send(
                        HttpRequest.newBuilder(
                                        URI.create("http://127.0.0.1:" + stack.agentPort() + "/v1/chat/completions"))
                                .header(
                                        "X-Test-Id",
                                        "tests/integration/interop/test_clients.py::test_read[" + stream + "]")
                                .POST(HttpRequest.BodyPublishers.ofString(
                                        "{\"model\":\"sim-1\",\"messages\":[{\"role\":\"user\","
                                                + "\"content\":\"read me\"}],\"stream\":" + stream + "}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(response.statusCode()).isEqualTo(200);
            }
            List<ConsumerRecord<String, Recording>> ours = readWithTapeline(2);

            // kcat: every record, its key and its size, read committed
            Run kcatRun = run(List.of(
                    kcat.toString(),
                    "-b",
                    kafka.bootstrapServers(),
                    "-C",
                    "-t",
                    "tapeline.recordings",
                    "-e",
                    "-q",
                    "-X",
                    "isolation.level=read_committed",
                    "-f",
                    "%k\\t%S\\t%p\\t%o\\n"));
            // Python: every record decoded through the registry with confluent-kafka's Avro deserializer
            Path script = dir.resolve("read_recordings.py");
            try (var in = RegistryInteropIT.class.getResourceAsStream("/interop/read_recordings.py")) {
                Files.copy(in, script);
            }
            Run pythonRun = run(List.of(
                    python.toString(),
                    script.toString(),
                    kafka.bootstrapServers(),
                    apicurio.url(),
                    "tapeline.recordings",
                    "2"));

            assertThat(kcatRun.exitCode()).as(kcatRun.err()).isZero();
            List<String> expectedKcat = ours.stream()
                    .map(r -> r.key() + "\t" + r.serializedValueSize() + "\t" + r.partition() + "\t" + r.offset())
                    .toList();
            assertThat(kcatRun.out().lines().toList()).containsExactlyInAnyOrderElementsOf(expectedKcat);
            assertThat(pythonRun.exitCode()).as(pythonRun.err()).isZero();
            List<Map<String, Object>> expectedPython = new ArrayList<>();
            for (ConsumerRecord<String, Recording> record : ours) {
                Recording value = record.value();
                Map<String, Object> line = new HashMap<>();
                line.put("key", record.key());
                line.put("fixtureKey", value.getFixtureKey());
                line.put("outcome", value.getOutcome().name());
                line.put("endpoint", value.getRequest().getEndpoint());
                line.put("status", value.getResponse().getStatus());
                line.put("chunks", value.getResponse().getChunks().size());
                line.put("testId", value.getTestId());
                expectedPython.add(line);
            }
            List<Map<String, Object>> python3 = new ArrayList<>();
            for (String line : pythonRun.out().lines().toList()) {
                python3.add(JSON.readValue(
                        line, new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() {}));
            }
            assertThat(python3).containsExactlyInAnyOrderElementsOf(expectedPython);
        }
    }

    private static List<ConsumerRecord<String, Recording>> readWithTapeline(int count) {
        Map<String, Object> config = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG,
                "interop-tapeline",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                "read_committed");
        List<ConsumerRecord<String, Recording>> records = new ArrayList<>();
        try (KafkaConsumer<String, Recording> consumer = new KafkaConsumer<>(
                config,
                new StringDeserializer(),
                ConfluentAvroSerde.<Recording>forValues(Recording.getClassSchema(), client())
                        .deserializer())) {
            consumer.subscribe(List.of("tapeline.recordings"));
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return records.size() >= count;
            });
        }
        return records;
    }

    private record Run(int exitCode, String out, String err) {}

    private static Run run(List<String> command) throws IOException, InterruptedException {
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process process = new ProcessBuilder(command)
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("timed out: " + command);
        }
        return new Run(
                process.exitValue(),
                Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }
}
