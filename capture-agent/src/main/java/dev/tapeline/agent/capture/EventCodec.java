package dev.tapeline.agent.capture;

import dev.tapeline.schema.CaptureEvent;
import dev.tapeline.schema.serde.ConfluentAvroSerde;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;

/**
 * How the journal keeps capture events: each as the very record value Kafka receives, the
 * Confluent wire format (magic byte, schema id, Avro binary), written once by the journal writer
 * and sent as it is. A record journaled before the registry was reached carries
 * {@link ConfluentAvroSerde#UNRESOLVED_ID}, set in place before it is sent.
 *
 * <p>The sender needs the key (the completion id) and the event time without decoding the event:
 * both are read from the front of the Avro body, where the schema puts {@code completionId},
 * {@code agentId} and {@code timestampMs} first.
 *
 * <p>Journals of agents before this format hold the Avro binary alone. Such a record starts with
 * the length of a non-empty completion id (a positive zig-zag varint: an even, non-zero byte),
 * never with the magic byte 0; it is decoded and serialized again.
 */
final class EventCodec {

    private static final SpecificDatumReader<CaptureEvent> LEGACY_READER;

    static {
        ConfluentAvroSerde.trustTapelineSchemas();
        org.apache.avro.Schema schema = CaptureEvent.getClassSchema();
        LEGACY_READER = new SpecificDatumReader<>(schema, schema, SpecificData.getForSchema(schema));
    }

    /** Key and event time of one journaled record, read with a decoder reused from record to record. */
    static final class Header {
        private BinaryDecoder decoder;
        private String key;
        private long timestampMs;

        /** Reads the key and the event time of a wire-format record. */
        void read(byte[] record) {
            decoder = DecoderFactory.get()
                    .binaryDecoder(
                            record,
                            ConfluentAvroSerde.HEADER_BYTES,
                            record.length - ConfluentAvroSerde.HEADER_BYTES,
                            decoder);
            try {
                key = decoder.readString();
                decoder.skipString();
                timestampMs = decoder.readLong();
            } catch (IOException e) {
                throw new UncheckedIOException("unreadable journal record", e);
            }
        }

        String key() {
            return key;
        }

        long timestampMs() {
            return timestampMs;
        }
    }

    private EventCodec() {}

    /** Whether a journal record is an older agent's (Avro binary without the wire-format header). */
    static boolean isLegacy(byte[] record) {
        return !ConfluentAvroSerde.isWireFormat(record);
    }

    /** An older agent's journal record. */
    static CaptureEvent decodeLegacy(byte[] record) {
        try {
            return LEGACY_READER.read(null, DecoderFactory.get().binaryDecoder(record, null));
        } catch (IOException e) {
            throw new UncheckedIOException("unreadable journal record", e);
        }
    }
}
