package dev.tapeline.schema.history;

import dev.tapeline.schema.CaptureEvent;
import dev.tapeline.schema.ChunkReceived;
import dev.tapeline.schema.ExchangeCompleted;
import dev.tapeline.schema.Framing;
import dev.tapeline.schema.Header;
import dev.tapeline.schema.RequestStarted;
import dev.tapeline.schema.ResponseStarted;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

/**
 * Every version of the capture-event and recording schemas that landed on main (test resources
 * {@code schema-history/NN-commit/}, taken from the project's history as they were), and records
 * written by them: today's record projected onto the older schema (the fields it did not have yet
 * left out, as an agent or processor of that version would have written it) in that schema's
 * binary. Schema evolution proven by data: today's readers must read every one.
 */
public final class SchemaHistory {

    /** One landed version: its name ({@code 03-1a013d4}) and its two schemas. */
    public record Version(String name, Schema captureEvent, Schema recording) {
        @Override
        public String toString() {
            return name;
        }
    }

    private SchemaHistory() {}

    /** Every version, oldest first. */
    public static List<Version> versions() {
        return new String(resource("versions.txt"), StandardCharsets.UTF_8)
                .lines()
                .filter(line -> !line.isBlank())
                .map(SchemaHistory::version)
                .toList();
    }

    private static Version version(String name) {
        // one parser: the types common.avsc and capture-event.avsc name are used by those after them
        Schema.Parser parser = new Schema.Parser();
        parser.parse(text(name + "/common.avsc"));
        Schema captureEvent = parser.parse(text(name + "/capture-event.avsc"));
        Schema recording = parser.parse(text(name + "/recording.avsc"));
        return new Version(name, captureEvent, recording);
    }

    /** {@code today} as a writer of schema {@code old} writes it: Avro binary, without the wire-format header. */
    public static byte[] writtenBy(Schema old, SpecificRecord today) {
        dev.tapeline.schema.serde.ConfluentAvroSerde.trustTapelineSchemas();
        try {
            ByteArrayOutputStream now = new ByteArrayOutputStream();
            BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(now, null);
            new SpecificDatumWriter<SpecificRecord>(today.getSchema()).write(today, encoder);
            encoder.flush();
            GenericRecord projected = new GenericDatumReader<GenericRecord>(today.getSchema(), old, GenericData.get())
                    .read(null, DecoderFactory.get().binaryDecoder(now.toByteArray(), null));
            ByteArrayOutputStream then = new ByteArrayOutputStream();
            BinaryEncoder oldEncoder = EncoderFactory.get().binaryEncoder(then, null);
            new GenericDatumWriter<GenericRecord>(old).write(projected, oldEncoder);
            oldEncoder.flush();
            return then.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a record with the schema of " + old.getFullName(), e);
        }
    }

    /**
     * The capture events of one non-streamed chat completion, as an agent publishes them: request,
     * response, the body, completed.
     */
    public static List<CaptureEvent> chatExchange(String completionId, String testId, String content) {
        Instant at = Instant.parse("2026-11-26T10:00:00Z");
        String request = "{\"model\":\"sim-1\",\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]}";
        String answer = "{\"id\":\"chatcmpl-" + completionId
                + "\",\"object\":\"chat.completion\",\"created\":1764151200,"
                + "\"model\":\"sim-1\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\""
                + content + "\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":3,"
                + "\"total_tokens\":6}}";
        List<Header> json = List.of(new Header("content-type", "application/json"));
        return List.of(
                new CaptureEvent(
                        completionId,
                        "agent-1",
                        at,
                        RequestStarted.newBuilder()
                                .setRoute("sim")
                                .setMethod("POST")
                                .setPath("/v1/chat/completions")
                                .setEndpoint("/v1/chat/completions")
                                .setRecordedUrl("http://localhost:8000/v1/v1/chat/completions")
                                .setUpstreamUrl("http://127.0.0.1:9/v1/chat/completions")
                                .setHeaders(json)
                                .setBody(utf8(request))
                                .setTestId(testId)
                                .build()),
                new CaptureEvent(completionId, "agent-1", at, new ResponseStarted(200, json, Framing.BODY, 1_000_000L)),
                new CaptureEvent(completionId, "agent-1", at, new ChunkReceived(0L, 2_000_000L, null, utf8(answer))),
                new CaptureEvent(
                        completionId, "agent-1", at, new ExchangeCompleted(1L, (long) answer.length(), 3_000_000L)));
    }

    private static ByteBuffer utf8(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String text(String name) {
        return new String(resource(name), StandardCharsets.UTF_8);
    }

    private static byte[] resource(String name) {
        try (InputStream in = SchemaHistory.class.getResourceAsStream("/schema-history/" + name)) {
            if (in == null) {
                throw new IllegalStateException("no test resource schema-history/" + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
