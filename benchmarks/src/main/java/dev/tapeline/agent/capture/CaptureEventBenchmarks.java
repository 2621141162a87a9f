package dev.tapeline.agent.capture;

import dev.tapeline.schema.CaptureEvent;
import dev.tapeline.schema.ChunkReceived;
import dev.tapeline.schema.registry.InMemorySchemaRegistry;
import dev.tapeline.schema.serde.ConfluentAvroSerde;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What the agent spends on one capture event between the event loop and the producer: the
 * serialization (once now; before: Avro into the journal, decoded by the sender, serialized again
 * by the serde) and the journal append (in batches now; before: one write per event). The
 * "before" methods rebuild the earlier code path from the same libraries, for comparison in one run.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class CaptureEventBenchmarks {

    private static final String TOPIC = dev.tapeline.app.Topics.EVENTS;
    private static final int EVENTS = 1000;

    private ConfluentAvroSerde<CaptureEvent> serde;
    private ConfluentAvroSerde<CaptureEvent>.Encoder encoder;
    private final EventCodec.Header header = new EventCodec.Header();
    private SpecificDatumWriter<CaptureEvent> avroWriter;
    private SpecificDatumReader<CaptureEvent> avroReader;
    private int schemaId;
    private CaptureEvent chunkEvent;
    private List<byte[]> journalRecords;
    private Path journalDir;
    private EventJournal journal;

    @Setup
    public void setUp() {
        serde = ConfluentAvroSerde.forValues(CaptureEvent.getClassSchema(), new InMemorySchemaRegistry());
        encoder = serde.encoder();
        schemaId = serde.schemaId(TOPIC);
        avroWriter = new SpecificDatumWriter<>(CaptureEvent.getClassSchema());
        avroReader = new SpecificDatumReader<>(CaptureEvent.getClassSchema());
        String chunk = "{\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1764115200,"
                + "\"model\":\"llama3.2:3b\",\"system_fingerprint\":\"fp_ollama\",\"choices\":[{\"index\":0,\"delta\":"
                + "{\"role\":\"assistant\",\"content\":\" token7\"},\"finish_reason\":null}]}";
        chunkEvent = CaptureEvent.newBuilder()
                .setCompletionId("0193f3a0-7c4e-7d2a-9b1c-5e8f2a3b4c5d")
                .setAgentId("agent-1")
                .setTimestampMs(Instant.ofEpochMilli(1_764_115_200_000L))
                .setPayload(new ChunkReceived(
                        7L, 123_456_789L, null, ByteBuffer.wrap(chunk.getBytes(StandardCharsets.UTF_8))))
                .build();
        journalRecords = new ArrayList<>();
        for (int i = 0; i < EVENTS; i++) {
            journalRecords.add(encoder.encode(chunkEvent, schemaId));
        }
    }

    @Setup(Level.Iteration)
    public void openJournal() throws IOException {
        journalDir = Files.createTempDirectory("tapeline-journal-bench");
        journal = new EventJournal(journalDir, 1L << 40, 64L * 1024 * 1024);
    }

    @TearDown(Level.Iteration)
    public void deleteJournal() throws IOException {
        journal.close();
        try (Stream<Path> files = Files.walk(journalDir)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(file);
            }
        }
    }

    /** Before: the event as Avro into the journal, decoded by the sender, serialized by the serde. */
    @Benchmark
    public byte[] eventSerializedBefore() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        BinaryEncoder avro = EncoderFactory.get().binaryEncoder(out, null);
        avroWriter.write(chunkEvent, avro);
        avro.flush();
        CaptureEvent decoded = avroReader.read(null, DecoderFactory.get().binaryDecoder(out.toByteArray(), null));
        return serde.serialize(TOPIC, decoded);
    }

    /** Now: the event written once into its wire-format record; the sender reads its key and time from the bytes. */
    @Benchmark
    public String eventSerializedOnce() {
        byte[] record = encoder.encode(chunkEvent, schemaId);
        header.read(record);
        return header.key();
    }

    /** Before: 1,000 chunk records appended one write each; time per record. */
    @Benchmark
    @OperationsPerInvocation(EVENTS)
    public void journalAppendEach() {
        for (byte[] record : journalRecords) {
            journal.append(record);
        }
    }

    /** Now: 1,000 chunk records appended in one call (one write per 256 KB); time per record. */
    @Benchmark
    @OperationsPerInvocation(EVENTS)
    public int journalAppendBatch() {
        return journal.append(journalRecords, 0);
    }
}
