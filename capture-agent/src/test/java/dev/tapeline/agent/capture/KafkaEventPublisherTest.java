package dev.tapeline.agent.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tapeline.schema.CaptureEvent;
import dev.tapeline.schema.ChunkReceived;
import dev.tapeline.schema.ExchangeCompleted;
import dev.tapeline.schema.ExchangeFailed;
import dev.tapeline.schema.FailureReason;
import dev.tapeline.schema.Framing;
import dev.tapeline.schema.RequestStarted;
import dev.tapeline.schema.ResponseStarted;
import dev.tapeline.schema.registry.InMemorySchemaRegistry;
import dev.tapeline.schema.registry.SchemaRegistryClient;
import dev.tapeline.schema.registry.SchemaRegistryException;
import dev.tapeline.schema.serde.ConfluentAvroSerde;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaEventPublisherTest {

    @TempDir
    Path dir;

    private final SchemaRegistry registry = new SchemaRegistry();
    private final ConfluentAvroSerde<CaptureEvent> serde =
            ConfluentAvroSerde.forValues(CaptureEvent.getClassSchema(), registry);

    /** A registry that can be away. */
    static final class SchemaRegistry implements SchemaRegistryClient {
        private final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
        volatile boolean up = true;

        @Override
        public int register(String subject, Schema schema) {
            if (!up) {
                throw new SchemaRegistryException("registry unreachable: connection refused", 0, 0, null);
            }
            return registry.register(subject, schema);
        }

        @Override
        public Schema getById(int id) {
            return registry.getById(id);
        }
    }

    /** A producer whose broker can be away: sends fail as they do without metadata. */
    static final class Broker extends MockProducer<String, byte[]> {
        volatile boolean up;

        Broker(boolean up) {
            super(true, null, new StringSerializer(), new ByteArraySerializer());
            this.up = up;
        }

        @Override
        public synchronized Future<RecordMetadata> send(ProducerRecord<String, byte[]> record, Callback callback) {
            if (!up) {
                throw new org.apache.kafka.common.errors.TimeoutException(
                        "Topic not present in metadata after 5000 ms.");
            }
            return super.send(record, callback);
        }
    }

    private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();

    private KafkaEventPublisher publisher(Broker broker, long journalBytes) {
        return new KafkaEventPublisher(
                "events",
                broker,
                serde,
                new EventJournal(dir.resolve("journal"), journalBytes, 1 << 20),
                1_000,
                Duration.ofMillis(500),
                metrics);
    }

    private static CaptureEvent event(String id, Object payload) {
        return CaptureEvent.newBuilder()
                .setCompletionId(id)
                .setAgentId("a")
                .setTimestampMs(Instant.EPOCH)
                .setPayload(payload)
                .build();
    }

    static List<CaptureEvent> exchange(String id, int chunks) {
        List<CaptureEvent> events = new java.util.ArrayList<>();
        events.add(event(
                id,
                RequestStarted.newBuilder()
                        .setRoute("r")
                        .setMethod("POST")
                        .setPath("/v1/chat/completions")
                        .setEndpoint("/v1/chat/completions")
                        .setRecordedUrl("http://x/v1/chat/completions")
                        .setUpstreamUrl("http://x/v1/chat/completions")
                        .setHeaders(List.of())
                        .setBody(ByteBuffer.wrap("{}".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                        .build()));
        events.add(event(
                id,
                ResponseStarted.newBuilder()
                        .setStatus(200)
                        .setHeaders(List.of())
                        .setFraming(Framing.SSE)
                        .setOffsetNanos(1)
                        .build()));
        for (int i = 0; i < chunks; i++) {
            events.add(event(
                    id,
                    ChunkReceived.newBuilder()
                            .setSequence(i)
                            .setOffsetNanos(i)
                            .setData(ByteBuffer.wrap(
                                    ("{\"n\":" + i + "}").getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                            .build()));
        }
        events.add(event(
                id,
                ExchangeCompleted.newBuilder()
                        .setChunkCount(chunks)
                        .setBodyBytes(1)
                        .setDurationNanos(9)
                        .build()));
        return events;
    }

    /** What the broker received, read as a consumer reads it. */
    private List<CaptureEvent> received(Broker broker) {
        return broker.history().stream()
                .map(r -> {
                    CaptureEvent event = serde.deserialize("events", r.value());
                    assertThat(r.key()).isEqualTo(event.getCompletionId());
                    return event;
                })
                .toList();
    }

    private static List<String> sequence(List<CaptureEvent> events, String id) {
        return events.stream()
                .filter(e -> e.getCompletionId().equals(id))
                .map(e -> e.getPayload() instanceof ChunkReceived c
                        ? "chunk-" + c.getSequence()
                        : e.getPayload().getClass().getSimpleName())
                .toList();
    }

    @Test
    void givenAnExchangePublished_whenKafkaAcknowledges_thenEventsAreCountedByTypeAndTheirLatencyTimed() {
        Broker broker = new Broker(true);
        try (KafkaEventPublisher publisher = publisher(broker, 1 << 24)) {
            exchange("a", 3).forEach(publisher::publish);

            await().atMost(Duration.ofSeconds(10)).until(() -> broker.history().size() == 6);
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> metrics.get("tapeline.agent.publish.latency")
                                    .timer()
                                    .count()
                            == 6);
            assertThat(metrics.get("tapeline.agent.events")
                            .tag("type", "request")
                            .counter()
                            .count())
                    .isEqualTo(1.0);
            assertThat(metrics.get("tapeline.agent.events")
                            .tag("type", "response")
                            .counter()
                            .count())
                    .isEqualTo(1.0);
            assertThat(metrics.get("tapeline.agent.events")
                            .tag("type", "chunk")
                            .counter()
                            .count())
                    .isEqualTo(3.0);
            assertThat(metrics.get("tapeline.agent.events")
                            .tag("type", "outcome")
                            .counter()
                            .count())
                    .isEqualTo(1.0);
            assertThat(metrics.get("tapeline.agent.events.published").counter().count())
                    .isEqualTo(6.0);
        }
    }

    @Test
    void givenKafkaAway_whenExchangesArePublished_thenKeptOnDiskAndSentInOrderWhenItReturns() {
        Broker broker = new Broker(false);
        try (KafkaEventPublisher publisher = publisher(broker, 1 << 24)) {
            List<CaptureEvent> a = exchange("a", 50);
            List<CaptureEvent> b = exchange("b", 50);
            for (int i = 0; i < a.size(); i++) {
                publisher.publish(a.get(i));
                publisher.publish(b.get(i));
            }
            await().during(Duration.ofMillis(300))
                    .atMost(Duration.ofSeconds(5))
                    .until(() -> broker.history().isEmpty());

            broker.up = true;

            await().atMost(Duration.ofSeconds(10)).until(() -> broker.history().size() == 2 * a.size());
            assertThat(sequence(received(broker), "a")).isEqualTo(sequence(a, "a"));
            assertThat(sequence(received(broker), "b")).hasSize(b.size()).endsWith("ExchangeCompleted");
        }
    }

    @Test
    void givenEventsNotSentBeforeAStop_whenTheAgentStartsAgain_thenTheyAreSentWithTheirKeysAndSequences() {
        Broker away = new Broker(false);
        try (KafkaEventPublisher publisher = publisher(away, 1 << 24)) {
            exchange("c", 5).forEach(publisher::publish);
        }
        assertThat(away.history()).isEmpty();

        Broker back = new Broker(true);
        try (KafkaEventPublisher restarted = publisher(back, 1 << 24)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> back.history().size() == 8);
        }

        assertThat(sequence(received(back), "c"))
                .containsExactly(
                        "RequestStarted",
                        "ResponseStarted",
                        "chunk-0",
                        "chunk-1",
                        "chunk-2",
                        "chunk-3",
                        "chunk-4",
                        "ExchangeCompleted");
    }

    @Test
    void givenAFullJournal_whenAnExchangeLosesEvents_thenItEndsAsCaptureLostWithTheChunksKept() {
        Broker broker = new Broker(false);
        List<CaptureEvent> events = exchange("d", 200);
        try (KafkaEventPublisher publisher = publisher(broker, 4_096)) {
            events.forEach(publisher::publish);
            await().during(Duration.ofMillis(300))
                    .atMost(Duration.ofSeconds(5))
                    .until(() -> broker.history().isEmpty());
            broker.up = true;
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                List<CaptureEvent> sent = received(broker);
                return !sent.isEmpty() && sent.get(sent.size() - 1).getPayload() instanceof ExchangeFailed;
            });
        }

        List<CaptureEvent> sent = received(broker);
        ExchangeFailed marker = (ExchangeFailed) sent.get(sent.size() - 1).getPayload();
        long chunksSent = sent.stream()
                .filter(e -> e.getPayload() instanceof ChunkReceived)
                .count();
        assertThat(sent.size()).isLessThan(events.size());
        assertThat(marker.getReason()).isEqualTo(FailureReason.CAPTURE_LOST);
        assertThat(marker.getChunkCount()).isEqualTo(chunksSent);
        assertThat(sent).noneMatch(e -> e.getPayload() instanceof ExchangeCompleted);
    }

    @Test
    void givenAnEventJournaled_whenSent_thenKafkaGetsTheJournaledBytesAsTheyAreWithTheEventTimeForLatency() {
        Broker broker = new Broker(true);
        serde.schemaId("events");
        CaptureEvent chunk = exchange("e", 1).get(2);
        try (KafkaEventPublisher publisher = publisher(broker, 1 << 24)) {
            publisher.publish(chunk);
            await().atMost(Duration.ofSeconds(10)).until(() -> broker.history().size() == 1);
        }

        ProducerRecord<String, byte[]> sent = broker.history().get(0);
        assertThat(sent.key()).isEqualTo("e");
        assertThat(sent.value()).isEqualTo(serde.serialize("events", chunk));
        assertThat(ConfluentAvroSerde.schemaIdOf(sent.value())).isEqualTo(serde.knownSchemaId("events"));
        // the event's time is 1970: the publish latency measured from it, read from the bytes, is decades
        assertThat(metrics.get("tapeline.agent.publish.latency").timer().max(TimeUnit.DAYS))
                .isGreaterThan(365 * 50);
    }

    @Test
    void givenTheRegistryAwayWhileEventsAreJournaled_whenItReturns_thenTheyAreSentWithTheSchemaIdItGives() {
        registry.up = false;
        Broker broker = new Broker(true);
        try (KafkaEventPublisher publisher = publisher(broker, 1 << 24)) {
            exchange("f", 2).forEach(publisher::publish);
            await().during(Duration.ofMillis(300))
                    .atMost(Duration.ofSeconds(5))
                    .until(() -> broker.history().isEmpty());

            registry.up = true;

            await().atMost(Duration.ofSeconds(10)).until(() -> broker.history().size() == 5);
        }
        int id = serde.knownSchemaId("events");
        assertThat(id).isNotEqualTo(ConfluentAvroSerde.UNRESOLVED_ID);
        assertThat(broker.history())
                .allSatisfy(r ->
                        assertThat(ConfluentAvroSerde.schemaIdOf(r.value())).isEqualTo(id));
        assertThat(sequence(received(broker), "f"))
                .containsExactly("RequestStarted", "ResponseStarted", "chunk-0", "chunk-1", "ExchangeCompleted");
    }

    @Test
    void givenAJournalWrittenByAnOlderAgent_whenTheAgentStarts_thenItsAvroOnlyRecordsAreSentInTheWireFormat()
            throws Exception {
        List<CaptureEvent> events = exchange("g", 2);
        try (EventJournal old = new EventJournal(dir.resolve("journal"), 1 << 24, 1 << 20)) {
            for (CaptureEvent event : events) {
                old.append(avroOnly(event));
            }
        }

        Broker broker = new Broker(true);
        try (KafkaEventPublisher publisher = publisher(broker, 1 << 24)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> broker.history().size() == events.size());
        }

        assertThat(broker.history().stream().map(ProducerRecord::key)).containsOnly("g");
        assertThat(received(broker)).isEqualTo(events);
    }

    /** A journal record as agents before the wire-format journal wrote it: the event's Avro binary alone. */
    private static byte[] avroOnly(CaptureEvent event) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new SpecificDatumWriter<>(CaptureEvent.getClassSchema()).write(event, encoder);
        encoder.flush();
        return out.toByteArray();
    }
}
