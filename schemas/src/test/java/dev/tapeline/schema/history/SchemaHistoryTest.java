package dev.tapeline.schema.history;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapeline.schema.CaptureEvent;
import dev.tapeline.schema.ExchangeFailed;
import dev.tapeline.schema.FailureReason;
import dev.tapeline.schema.Framing;
import dev.tapeline.schema.Outcome;
import dev.tapeline.schema.RecordedChunk;
import dev.tapeline.schema.RecordedRequest;
import dev.tapeline.schema.RecordedResponse;
import dev.tapeline.schema.Recording;
import dev.tapeline.schema.registry.InMemorySchemaRegistry;
import dev.tapeline.schema.serde.ConfluentAvroSerde;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Records written by every landed version of the schemas are read by today's deserializer, field for field. */
class SchemaHistoryTest {

    static List<SchemaHistory.Version> versions() {
        return SchemaHistory.versions();
    }

    /** {@code today} as the old version wrote it, read back by today's serde through the registry. */
    private static <T extends SpecificRecord> T readToday(
            org.apache.avro.Schema old, T today, String topic, org.apache.avro.Schema readerSchema) {
        InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
        int id = registry.register(topic + "-value", old);
        byte[] record = ConfluentAvroSerde.frame(id, SchemaHistory.writtenBy(old, today));
        return ConfluentAvroSerde.<T>forValues(readerSchema, registry).deserialize(topic, record);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("versions")
    void givenTheCaptureEventsOfAnOlderAgent_whenReadToday_thenEveryFieldIsAsWritten(SchemaHistory.Version version) {
        List<CaptureEvent> events =
                new ArrayList<>(SchemaHistory.chatExchange("c-1", "tests/integration/x/test_x.py::test_old", "hi"));
        events.add(new CaptureEvent(
                "c-2",
                "agent-1",
                Instant.parse("2026-11-26T10:00:00Z"),
                new ExchangeFailed(2L, FailureReason.CLIENT_DISCONNECT, "the client left", 5L)));
        for (CaptureEvent event : events) {
            CaptureEvent read =
                    readToday(version.captureEvent(), event, "tapeline.capture.events", CaptureEvent.getClassSchema());
            assertThat(read)
                    .as("%s", event.getPayload().getClass().getSimpleName())
                    .isEqualTo(event);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("versions")
    void givenARecordingOfAnOlderProcessor_whenReadToday_thenEveryFieldIsAsWritten(SchemaHistory.Version version) {
        Recording recording = Recording.newBuilder()
                .setFixtureKey("a".repeat(64))
                .setCompletionId("c-1")
                .setAgentId("agent-1")
                .setTestId("tests/integration/x/test_x.py::test_old")
                .setStartedAtMs(Instant.parse("2026-11-26T10:00:00Z"))
                .setOutcome(Outcome.COMPLETED)
                .setDurationNanos(3_000_000L)
                .setRequest(RecordedRequest.newBuilder()
                        .setMethod("POST")
                        .setUrl("http://localhost:8000/v1/v1/chat/completions")
                        .setEndpoint("/v1/chat/completions")
                        .setHeaders(List.of())
                        .setBody(ByteBuffer.wrap("{\"model\":\"m\"}".getBytes(StandardCharsets.UTF_8)))
                        .build())
                .setResponse(RecordedResponse.newBuilder()
                        .setStatus(200)
                        .setHeaders(List.of())
                        .setFraming(Framing.BODY)
                        .setChunks(List.of(new RecordedChunk(
                                2_000_000L, null, ByteBuffer.wrap("{}".getBytes(StandardCharsets.UTF_8)))))
                        .build())
                .build();

        Recording read = readToday(version.recording(), recording, "tapeline.recordings", Recording.getClassSchema());

        assertThat(read).isEqualTo(recording);
    }
}
