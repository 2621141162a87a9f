package dev.tapeline.agent.capture;

import dev.tapeline.schema.CaptureEvent;
import dev.tapeline.schema.serde.ConfluentAvroSerde;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;

/** How the journal keeps capture events: Avro binary of the agent's schema, so no registry is needed while Kafka is away. */
final class EventCodec {

    private static final SpecificDatumWriter<CaptureEvent> WRITER;
    private static final SpecificDatumReader<CaptureEvent> READER;

    static {
        ConfluentAvroSerde.trustTapelineSchemas();
        org.apache.avro.Schema schema = CaptureEvent.getClassSchema();
        WRITER = new SpecificDatumWriter<>(schema, SpecificData.getForSchema(schema));
        READER = new SpecificDatumReader<>(schema, schema, SpecificData.getForSchema(schema));
    }

    private EventCodec() {}

    static byte[] encode(CaptureEvent event) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        try {
            WRITER.write(event, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static CaptureEvent decode(byte[] data) {
        try {
            return READER.read(null, DecoderFactory.get().binaryDecoder(data, null));
        } catch (IOException e) {
            throw new UncheckedIOException("unreadable journal record", e);
        }
    }
}
