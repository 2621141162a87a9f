package dev.tapeline.schema.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tapeline.schema.CaptureEvent;
import dev.tapeline.schema.ChunkReceived;
import dev.tapeline.schema.registry.InMemorySchemaRegistry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class ConfluentAvroSerdeTest {

    private final ConfluentAvroSerde<CaptureEvent> serde =
            ConfluentAvroSerde.forValues(CaptureEvent.getClassSchema(), new InMemorySchemaRegistry());

    private static CaptureEvent chunk(long sequence, String data) {
        return new CaptureEvent(
                "0193f3a0-7c4e-7d2a-9b1c-5e8f2a3b4c5d",
                "agent-1",
                Instant.ofEpochMilli(1_764_115_200_000L),
                new ChunkReceived(sequence, 1_000L, null, ByteBuffer.wrap(data.getBytes(StandardCharsets.UTF_8))));
    }

    @Test
    void givenOneEncoderForManyRecords_whenEachIsEncoded_thenEachHasTheBytesSerializeGives() {
        ConfluentAvroSerde<CaptureEvent>.Encoder encoder = serde.encoder();
        int id = serde.schemaId("events");

        byte[] large = encoder.encode(chunk(1, "x".repeat(5_000)), id);
        byte[] small = encoder.encode(chunk(2, "y"), id);

        assertThat(large).isEqualTo(serde.serialize("events", chunk(1, "x".repeat(5_000))));
        assertThat(small).isEqualTo(serde.serialize("events", chunk(2, "y")));
    }

    @Test
    void givenARecordEncodedBeforeItsSchemaIdWasKnown_whenTheIdIsSetInPlace_thenItReadsBackAsSerializeWroteIt() {
        assertThat(serde.knownSchemaId("events")).isEqualTo(ConfluentAvroSerde.UNRESOLVED_ID);
        byte[] record = serde.encoder().encode(chunk(3, "z"), ConfluentAvroSerde.UNRESOLVED_ID);
        assertThatThrownBy(() -> serde.deserialize("events", record))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("cannot resolve schema id -1");

        ConfluentAvroSerde.setSchemaId(record, serde.schemaId("events"));

        assertThat(ConfluentAvroSerde.schemaIdOf(record)).isEqualTo(serde.knownSchemaId("events"));
        assertThat(record).isEqualTo(serde.serialize("events", chunk(3, "z")));
        assertThat(serde.deserialize("events", record)).isEqualTo(chunk(3, "z"));
    }
}
