package dev.tapeline.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tapeline.schema.CaptureEvent;
import dev.tapeline.schema.ChunkReceived;
import dev.tapeline.schema.Recording;
import dev.tapeline.schema.registry.InMemorySchemaRegistry;
import dev.tapeline.schema.registry.RegistryConfig;
import dev.tapeline.schema.registry.RestSchemaRegistryClient;
import dev.tapeline.schema.registry.SchemaRegistryException;
import dev.tapeline.schema.serde.ConfluentAvroSerde;
import java.nio.ByteBuffer;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class EmbeddedRegistrySerdeTest {

    private EmbeddedSchemaRegistry registry;
    private RestSchemaRegistryClient client;

    @BeforeEach
    void startRegistry() throws Exception {
        registry = EmbeddedSchemaRegistry.start(0);
        client = new RestSchemaRegistryClient(RegistryConfig.of(registry.url()));
    }

    @AfterEach
    void stopRegistry() {
        registry.close();
    }

    private static CaptureEvent chunkEvent() {
        return CaptureEvent.newBuilder()
                .setCompletionId("0190c0de-0000-7000-8000-000000000001")
                .setAgentId("agent-1")
                .setTimestampMs(java.time.Instant.ofEpochMilli(1_700_000_000_000L))
                .setPayload(ChunkReceived.newBuilder()
                        .setSequence(3)
                        .setOffsetNanos(42)
                        .setSseEvent(null)
                        .setData(ByteBuffer.wrap("{\"a\":1}".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                        .build())
                .build();
    }

    @Test
    void givenEvent_whenSerialized_thenConfluentWireFormatWithRegisteredId() {
        ConfluentAvroSerde<CaptureEvent> serde = ConfluentAvroSerde.forValues(CaptureEvent.getClassSchema(), client);

        byte[] bytes = serde.serialize("tapeline.capture.events", chunkEvent());

        assertThat(bytes[0]).isZero();
        int id = ByteBuffer.wrap(bytes, 1, 4).getInt();
        assertThat(client.register("tapeline.capture.events-value", CaptureEvent.getClassSchema()))
                .isEqualTo(id);
        assertThat(serde.deserialize("tapeline.capture.events", bytes)).isEqualTo(chunkEvent());
    }

    @Test
    void givenSecondClient_whenReadingById_thenSchemaFetchedFromRegistry() {
        byte[] bytes = ConfluentAvroSerde.forValues(CaptureEvent.getClassSchema(), client)
                .serialize("events", chunkEvent());
        RestSchemaRegistryClient other = new RestSchemaRegistryClient(RegistryConfig.of(registry.url()));

        CaptureEvent read = ConfluentAvroSerde.<CaptureEvent>forValues(CaptureEvent.getClassSchema(), other)
                .deserialize("events", bytes);

        assertThat(read).isEqualTo(chunkEvent());
    }

    @Test
    void givenSameSchemaUnderTwoSubjects_whenRegistered_thenSameGlobalIdAndDifferentSchemasDifferentIds() {
        int a = client.register("a-value", CaptureEvent.getClassSchema());
        int b = client.register("b-value", CaptureEvent.getClassSchema());
        int c = client.register("c-value", Recording.getClassSchema());

        assertThat(a).isEqualTo(b).isNotEqualTo(c);
    }

    @Test
    void givenNull_whenSerialized_thenNullForTombstones() {
        ConfluentAvroSerde<Recording> serde = ConfluentAvroSerde.forValues(Recording.getClassSchema(), client);

        assertThat(serde.serialize("t", null)).isNull();
        assertThat(serde.deserialize("t", null)).isNull();
    }

    @Test
    void givenBytesWithoutMagicOrUnknownId_whenDeserialized_thenClearErrors() {
        ConfluentAvroSerde<Recording> serde = ConfluentAvroSerde.forValues(Recording.getClassSchema(), client);

        assertThatThrownBy(
                        () -> serde.deserialize("t", "{\"json\":1}".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("not Confluent wire format");
        assertThatThrownBy(() -> serde.deserialize("t", new byte[] {0, 0, 0, 0x7f, 1, 2}))
                .hasRootCauseInstanceOf(SchemaRegistryException.class)
                .rootCause()
                .hasMessageContaining("HTTP 404")
                .hasMessageContaining("not found");
    }

    @Test
    void givenUnreachableRegistry_whenRegistering_thenErrorNamesTheUrl() {
        registry.close();
        RestSchemaRegistryClient dead = new RestSchemaRegistryClient(RegistryConfig.of(registry.url()));

        assertThatThrownBy(() -> dead.register("s", Schema.create(Schema.Type.STRING)))
                .isInstanceOf(SchemaRegistryException.class)
                .hasMessageContaining("unreachable")
                .hasMessageContaining(registry.url());
    }

    @Test
    void givenInvalidConfig_whenBuilt_thenEveryProblemReportedWithFieldName() {
        assertThatThrownBy(() -> RegistryConfig.fromMap(Map.of(
                        "schema.registry.url",
                        "ftp://x",
                        "basic.auth.user.info",
                        "nocolon",
                        "schema.registry.timeout.ms",
                        "0")))
                .hasMessageContaining("schema.registry.url")
                .hasMessageContaining("basic.auth.user.info")
                .hasMessageContaining("schema.registry.timeout.ms");
        assertThatThrownBy(() -> RegistryConfig.fromMap(Map.of("schema.registry.url", "http://x", "bogus", "1")))
                .hasMessageContaining("unknown schema registry settings: [bogus]");
    }

    @Test
    void givenJournal_whenRegistryRestarted_thenSameIdsAndSubjects(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        java.nio.file.Path journal = dir.resolve("schemas.jsonl");
        InMemorySchemaRegistry first = new InMemorySchemaRegistry(journal);
        int recording = first.register("r-value", Recording.getClassSchema());
        int event = first.register("e-value", CaptureEvent.getClassSchema());
        first.register("e2-value", CaptureEvent.getClassSchema());

        InMemorySchemaRegistry second = new InMemorySchemaRegistry(journal);

        assertThat(second.getById(recording)).isEqualTo(Recording.getClassSchema());
        assertThat(second.getById(event)).isEqualTo(CaptureEvent.getClassSchema());
        assertThat(second.subjects()).containsExactly("r-value", "e-value", "e2-value");
        assertThat(second.register("x-value", ChunkReceived.getClassSchema())).isEqualTo(3);
    }
}
