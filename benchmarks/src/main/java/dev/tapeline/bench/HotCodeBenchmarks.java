package dev.tapeline.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tapeline.fixture.CapturedExchange;
import dev.tapeline.fixture.FixtureProfile;
import dev.tapeline.fixture.FixtureRequest;
import dev.tapeline.fixture.HashRules;
import dev.tapeline.fixture.RequestHasher;
import dev.tapeline.fixture.python.PyJson;
import dev.tapeline.fixture.shape.FixtureRenderer;
import dev.tapeline.fixture.wire.SseFramer;
import dev.tapeline.schema.CaptureEvent;
import dev.tapeline.schema.ChunkReceived;
import dev.tapeline.schema.registry.InMemorySchemaRegistry;
import dev.tapeline.schema.serde.ConfluentAvroSerde;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/** The code on Tapeline's per-request and per-chunk paths, measured in isolation. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class HotCodeBenchmarks {

    private static final String URL = "http://localhost:8000/v1/v1/chat/completions";
    private static final String TEST_ID =
            "tests/integration/inference/test_openai_completion.py::test_chat[txt=ollama/llama3.2:3b]";

    private JsonNode requestBody;
    private CapturedExchange stream;
    private JsonNode fixtureTree;
    private ConfluentAvroSerde<CaptureEvent> serde;
    private CaptureEvent chunkEvent;
    private byte[] chunkEventBytes;
    private byte[] sseStream;

    @Setup
    public void setUp() {
        byte[] body = ("{\"model\":\"llama3.2:3b\",\"messages\":[{\"role\":\"system\",\"content\":\"You are a helpful"
                        + " assistant.\"},{\"role\":\"user\",\"content\":\"Which planet has rings? Answer in one sentence.\"}],"
                        + "\"stream\":true,\"temperature\":0.0,\"max_tokens\":256}")
                .getBytes(StandardCharsets.UTF_8);
        requestBody = PyJson.parse(body);
        List<byte[]> chunks = new ArrayList<>();
        StringBuilder sse = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            String chunk = "{\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1764115200,"
                    + "\"model\":\"llama3.2:3b\",\"system_fingerprint\":\"fp_ollama\",\"choices\":[{\"index\":0,\"delta\":"
                    + "{\"role\":\"assistant\",\"content\":\" token" + i + "\"},\"finish_reason\":null}]}";
            chunks.add(chunk.getBytes(StandardCharsets.UTF_8));
            sse.append("data: ").append(chunk).append("\n\n");
        }
        sse.append("data: [DONE]\n\n");
        sseStream = sse.toString().getBytes(StandardCharsets.UTF_8);
        stream = CapturedExchange.of(
                new FixtureRequest("POST", URL, "/v1/chat/completions", body, TEST_ID, null),
                "1.99.9",
                200,
                true,
                chunks);
        fixtureTree = PyJson.parse(
                new FixtureRenderer(FixtureProfile.CURRENT).render(stream).content());
        serde = ConfluentAvroSerde.forValues(CaptureEvent.getClassSchema(), new InMemorySchemaRegistry());
        chunkEvent = CaptureEvent.newBuilder()
                .setCompletionId("0193f3a0-7c4e-7d2a-9b1c-5e8f2a3b4c5d")
                .setAgentId("agent-1")
                .setTimestampMs(Instant.ofEpochMilli(1_764_115_200_000L))
                .setPayload(new ChunkReceived(7L, 123_456_789L, null, ByteBuffer.wrap(chunks.get(7))))
                .build();
        chunkEventBytes = serde.serialize(dev.tapeline.app.Topics.EVENTS, chunkEvent);
    }

    /** The request hash that names every fixture (normalization, sorted JSON, SHA-256): once per request. */
    @Benchmark
    public String requestHash() {
        return RequestHasher.hash("POST", URL, requestBody, TEST_ID, FixtureProfile.CURRENT, HashRules.CURRENT);
    }

    /** The Python-compatible JSON writer on a whole 20-chunk fixture: once per fixture. */
    @Benchmark
    public String pythonJsonWriter() {
        return PyJson.dumpIndented(fixtureTree);
    }

    /** A 20-chunk stream rendered into its fixture (SDK models, normalization, hash, writer): once per fixture. */
    @Benchmark
    public byte[] renderStreamFixture() {
        return new FixtureRenderer(FixtureProfile.CURRENT).render(stream).content();
    }

    /** One chunk event in Confluent wire format: once per chunk, in the agent. */
    @Benchmark
    public byte[] avroSerializeChunkEvent() {
        return serde.serialize(dev.tapeline.app.Topics.EVENTS, chunkEvent);
    }

    /** One chunk event read back: once per chunk, in the processor. */
    @Benchmark
    public CaptureEvent avroDeserializeChunkEvent() {
        return serde.deserialize(dev.tapeline.app.Topics.EVENTS, chunkEventBytes);
    }

    /** SSE framing of a 20-event stream (about 4 KB): once per streamed answer, chunk by chunk. */
    @Benchmark
    public void sseParse20Events(Blackhole blackhole) {
        SseFramer framer = new SseFramer((name, data) -> blackhole.consume(data), 1 << 20);
        framer.feed(sseStream);
        framer.finish();
    }
}
