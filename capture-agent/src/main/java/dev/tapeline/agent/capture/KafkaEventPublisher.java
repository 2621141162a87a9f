package dev.tapeline.agent.capture;

import dev.tapeline.schema.CaptureEvent;
import dev.tapeline.schema.ChunkReceived;
import dev.tapeline.schema.ExchangeCompleted;
import dev.tapeline.schema.ExchangeFailed;
import dev.tapeline.schema.FailureReason;
import dev.tapeline.schema.serde.ConfluentAvroSerde;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes capture events to Kafka through a journal on local disk, so that clients are served
 * at full speed whether Kafka is there, slow or away, and nothing accepted is lost:
 * <ol>
 * <li>the event loop hands each event to a bounded in-memory queue (never blocking);</li>
 * <li>a writer thread appends them to the {@link EventJournal} (bounded on disk);</li>
 * <li>a sender thread reads the journal in order, produces, waits for the acknowledgements and
 * only then moves the journal's checkpoint, so an agent restarted after a crash or with Kafka
 * still away sends the rest, with the same keys and sequence numbers.</li>
 * </ol>
 * What cannot be kept (queue or journal full) is counted and logged, and the exchange it belongs
 * to ends with an {@code ExchangeFailed(CAPTURE_LOST)} in place of its outcome, written into a
 * reserve of the journal kept for these markers, so the pipeline emits it as failed instead of
 * waiting for chunks that will never come.
 */
public final class KafkaEventPublisher implements EventPublisher {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaEventPublisher.class);
    private static final CaptureEvent POISON = new CaptureEvent();
    /** Journal space kept for CAPTURE_LOST markers beyond the bound. */
    static final long MARKER_RESERVE_BYTES = 1024 * 1024;

    private final String topic;
    private final Producer<String, CaptureEvent> producer;
    private final EventJournal journal;
    private final BlockingQueue<CaptureEvent> queue;
    private final Thread writer;
    private final Thread sender;
    private final Counter published;
    private final Counter failed;
    private final Counter lost;
    /** Exchanges that lost an event, with the number of their chunks the journal kept (writer thread only). */
    private final Map<String, Long> keptChunks = new HashMap<>();
    private final Set<String> lossy = ConcurrentHashMap.newKeySet();
    /** Exchanges whose final event the in-memory queue could not take. */
    private final BlockingQueue<CaptureEvent> droppedFinals = new ArrayBlockingQueue<>(10_000);
    private final AtomicBoolean closing = new AtomicBoolean();
    private final Duration drainOnClose;
    private volatile boolean stopSending;

    /**
     * @param journalDir      where the journal lives (kept across restarts)
     * @param journalMaxBytes unsent events beyond this size are not kept
     */
    public KafkaEventPublisher(String topic, Map<String, Object> producerConfig, Serializer<CaptureEvent> serializer,
            Path journalDir, long journalMaxBytes, int queueCapacity, MeterRegistry metrics) {
        this(topic, producer(producerConfig, serializer), new EventJournal(journalDir, journalMaxBytes,
                Math.min(64L * 1024 * 1024, Math.max(1024 * 1024, journalMaxBytes / 8))), queueCapacity,
                Duration.ofSeconds(30), metrics);
    }

    /** @param drainOnClose how long {@link #close()} keeps sending to Kafka before leaving the rest in the journal */
    KafkaEventPublisher(String topic, Producer<String, CaptureEvent> producer, EventJournal journal, int queueCapacity,
            Duration drainOnClose, MeterRegistry metrics) {
        this.topic = topic;
        this.drainOnClose = drainOnClose;
        this.producer = producer;
        this.journal = journal;
        this.queue = new ArrayBlockingQueue<>(queueCapacity);
        this.published = metrics.counter("tapeline.agent.events.published");
        this.failed = metrics.counter("tapeline.agent.events.failed");
        this.lost = metrics.counter("tapeline.agent.events.lost");
        metrics.gauge("tapeline.agent.journal.pending.bytes", journal, EventJournal::pendingBytes);
        this.writer = new Thread(this::write, "tapeline-event-journal");
        this.sender = new Thread(this::send, "tapeline-event-publisher");
        writer.setDaemon(true);
        sender.setDaemon(true);
        writer.start();
        sender.start();
    }

    private static Producer<String, CaptureEvent> producer(Map<String, Object> producerConfig,
            Serializer<CaptureEvent> serializer) {
        Map<String, Object> config = new HashMap<>(defaults());
        config.putAll(producerConfig);
        return new KafkaProducer<>(config, new StringSerializer(), serializer);
    }

    /** Producer settings chosen for capture: durable, ordered, batched, compressed, never giving up. */
    public static Map<String, Object> defaults() {
        return Map.of(
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5,
                ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4",
                ProducerConfig.LINGER_MS_CONFIG, 5,
                ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024,
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 16 * 1024 * 1024,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.MAX_VALUE,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
    }

    @Override
    public void publish(CaptureEvent event) {
        if (closing.get() || !queue.offer(event)) {
            lose(event, closing.get() ? "publisher closed" : "publish queue full");
            if (isFinal(event) && !droppedFinals.offer(event)) {
                LOG.error("exchange {}: its outcome is lost too; it stays open in the pipeline", event.getCompletionId());
            }
        }
    }

    private void lose(CaptureEvent event, String why) {
        lost.increment();
        if (lossy.add(event.getCompletionId())) {
            LOG.warn("exchange {}: capture event not kept ({}); the exchange will be recorded as failed (CAPTURE_LOST)",
                    event.getCompletionId(), why);
        }
    }

    private static boolean isFinal(CaptureEvent event) {
        return event.getPayload() instanceof ExchangeCompleted || event.getPayload() instanceof ExchangeFailed;
    }

    /** Writer thread: queue → journal, and the CAPTURE_LOST markers. */
    private void write() {
        while (true) {
            CaptureEvent event;
            try {
                event = queue.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            for (CaptureEvent dropped; (dropped = droppedFinals.poll()) != null; ) {
                appendMarker(dropped);
            }
            if (event == POISON) {
                return;
            }
            if (event != null) {
                journal(event);
            }
        }
    }

    private void journal(CaptureEvent event) {
        String id = event.getCompletionId();
        if (isFinal(event) && lossy.contains(id)) {
            appendMarker(event);
            return;
        }
        if (journal.append(encode(event))) {
            if (event.getPayload() instanceof ChunkReceived) {
                keptChunks.merge(id, 1L, Long::sum);
            } else if (isFinal(event)) {
                keptChunks.remove(id);
            }
            return;
        }
        lose(event, "journal full");
        if (isFinal(event)) {
            appendMarker(event);
        }
    }

    /** Ends an exchange that lost events with ExchangeFailed(CAPTURE_LOST) and the chunk count actually kept. */
    private void appendMarker(CaptureEvent finalEvent) {
        String id = finalEvent.getCompletionId();
        long duration = finalEvent.getPayload() instanceof ExchangeCompleted completed ? completed.getDurationNanos()
                : ((ExchangeFailed) finalEvent.getPayload()).getDurationNanos();
        CaptureEvent marker = CaptureEvent.newBuilder(finalEvent)
                .setPayload(ExchangeFailed.newBuilder()
                        .setChunkCount(keptChunks.getOrDefault(id, 0L))
                        .setReason(FailureReason.CAPTURE_LOST)
                        .setMessage("capture events of this exchange were not kept (agent queue or journal full)")
                        .setDurationNanos(duration)
                        .build())
                .build();
        if (!journal.append(encode(marker), MARKER_RESERVE_BYTES)) {
            LOG.error("exchange {}: even its CAPTURE_LOST marker cannot be kept; it stays open in the pipeline", id);
        }
        keptChunks.remove(id);
        lossy.remove(id);
    }

    /**
     * Sender thread: journal → Kafka in batches; the checkpoint moves only when Kafka has
     * acknowledged a whole batch. A batch that meets a retriable error (Kafka away, no metadata)
     * is sent again from its start after a pause: duplicates are possible, losses are not (the
     * stream processor keeps one copy of each event). Records Kafka refuses for good (too large,
     * not serializable) are counted, logged and skipped.
     */
    private void send() {
        EventJournal.Position position = journal.checkpoint();
        boolean away = false;
        while (!stopSending) {
            List<EventJournal.Entry> entries;
            try {
                entries = journal.read(position, 5_000, 8L * 1024 * 1024, 50);
            } catch (InterruptedException e) {
                return;
            }
            journal.sync();
            if (entries.isEmpty()) {
                if (closing.get() && !writer.isAlive()) {
                    return;
                }
                continue;
            }
            AtomicReference<Exception> retriable = new AtomicReference<>();
            for (EventJournal.Entry entry : entries) {
                if (retriable.get() != null) {
                    break;
                }
                CaptureEvent event = decode(entry.data());
                while (!sendOnce(event, retriable)) {
                    if (stopSending) {
                        return;
                    }
                    sleep(500);
                }
            }
            try {
                producer.flush();
            } catch (RuntimeException e) {
                retriable.compareAndSet(null, e);
            }
            if (stopSending) {
                return; // a forced close aborted what was in flight: it stays in the journal
            }
            if (retriable.get() != null) {
                if (!away) {
                    away = true;
                    LOG.warn("Kafka is not reachable ({}); capture events are kept in the journal and sent when it is back",
                            retriable.get().toString());
                }
                sleep(1_000);
                continue;
            }
            if (away) {
                away = false;
                LOG.info("Kafka is reachable again; sending the {} bytes of capture events the journal kept",
                        journal.pendingBytes());
            }
            position = entries.get(entries.size() - 1).next();
            journal.acknowledge(position);
        }
    }

    /** Hands one event to the producer; false when the producer cannot take it now (registry away, buffer full). */
    private boolean sendOnce(CaptureEvent event, AtomicReference<Exception> retriable) {
        try {
            producer.send(new ProducerRecord<>(topic, event.getCompletionId(), event), (metadata, error) -> {
                if (error == null) {
                    published.increment();
                } else if (error instanceof RetriableException || stopSending) {
                    retriable.compareAndSet(null, error);
                } else {
                    failed.increment();
                    LOG.error("capture event of exchange {} refused by Kafka and skipped: {}", event.getCompletionId(),
                            error.toString());
                }
            });
            return true;
        } catch (RuntimeException e) {
            LOG.debug("capture event of exchange {} not handed to Kafka yet: {}", event.getCompletionId(), e.toString());
            return false;
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static final SpecificDatumWriter<CaptureEvent> WRITER;
    private static final SpecificDatumReader<CaptureEvent> READER;

    static {
        ConfluentAvroSerde.trustTapelineSchemas();
        org.apache.avro.Schema schema = CaptureEvent.getClassSchema();
        WRITER = new SpecificDatumWriter<>(schema, SpecificData.getForSchema(schema));
        READER = new SpecificDatumReader<>(schema, schema, SpecificData.getForSchema(schema));
    }

    /** The journal keeps events as Avro binary of the agent's schema: no registry needed while Kafka is away. */
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

    /**
     * Journals what is queued, sends what the journal holds while Kafka answers (up to the drain
     * time, 30 s by default), then stops; what is left stays in the journal for the next start.
     */
    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        try {
            queue.put(POISON);
            writer.join(TimeUnit.SECONDS.toMillis(30));
            sender.join(Math.max(1, drainOnClose.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        stopSending = true;
        producer.close(Duration.ofSeconds(sender.isAlive() ? 0 : 5));
        try {
            sender.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        journal.close();
        if (journal.pendingBytes() > 0) {
            LOG.warn("{} bytes of capture events are kept in the journal and will be sent at the next start",
                    journal.pendingBytes());
        }
    }
}
