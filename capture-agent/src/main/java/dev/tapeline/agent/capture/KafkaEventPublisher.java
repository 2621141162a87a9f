package dev.tapeline.agent.capture;

import dev.tapeline.schema.CaptureEvent;
import dev.tapeline.schema.ChunkReceived;
import dev.tapeline.schema.Limits;
import dev.tapeline.schema.RequestStarted;
import dev.tapeline.schema.ResponseStarted;
import dev.tapeline.schema.serde.ConfluentAvroSerde;
import dev.tapeline.settings.LastingProblem;
import dev.tapeline.settings.Setting;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes capture events to Kafka through a journal on local disk, so that clients are served
 * at full speed whether Kafka is there, slow or away, and nothing accepted is lost:
 * <ol>
 * <li>the event loop hands each event to a bounded in-memory queue (never blocking);</li>
 * <li>a {@link JournalWriter} thread serializes each once, into the record value Kafka receives,
 * and appends them to the {@link EventJournal} (bounded on disk) as many at a time as are
 * queued;</li>
 * <li>a {@link JournalSender} thread reads the journal in order, produces the bytes as they are,
 * waits for the acknowledgements and only then moves the journal's checkpoint, so an agent
 * restarted after a crash or with Kafka still away sends the rest, with the same keys and
 * sequence numbers.</li>
 * </ol>
 * What cannot be kept (queue or journal full) is counted and logged, and the exchange it belongs
 * to ends with an {@code ExchangeFailed(CAPTURE_LOST)} in place of its outcome, so the pipeline
 * emits it as failed instead of waiting for chunks that will never come.
 */
public final class KafkaEventPublisher implements EventPublisher {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaEventPublisher.class);

    public static final Setting<Long> JOURNAL_MAX_MB = Setting.number(
            "journal-max-mb",
            1024,
            16,
            1L << 30,
            "Disk the agent may use for capture events while Kafka is away, in MiB;"
                    + " beyond it exchanges end CAPTURE_LOST.");

    private final EventJournal journal;
    private final BlockingQueue<CaptureEvent> queue;
    private final Producer<String, byte[]> producer;
    private final Thread writer;
    private final Thread sender;
    private final JournalSender sending;
    private final Counter lost;
    private final Counter requests;
    private final Counter responses;
    private final Counter chunks;
    private final Counter outcomes;
    private final Set<String> lossy = ConcurrentHashMap.newKeySet();
    /** Whether the journal's disk takes the writer's appends (the writer reports, the metric reads). */
    private final LastingProblem journalDisk = new LastingProblem();
    /** Exchanges whose final event the in-memory queue could not take. */
    private final BlockingQueue<CaptureEvent> droppedFinals = new ArrayBlockingQueue<>(10_000);

    private final AtomicBoolean closing = new AtomicBoolean();
    private final Duration drainOnClose;

    /**
     * @param journalDir      where the journal lives (kept across restarts)
     * @param journalMaxBytes unsent events beyond this size are not kept
     */
    public KafkaEventPublisher(
            String topic,
            Map<String, Object> producerConfig,
            ConfluentAvroSerde<CaptureEvent> serde,
            Path journalDir,
            long journalMaxBytes,
            int queueCapacity,
            MeterRegistry metrics) {
        this(
                topic,
                producer(producerConfig),
                serde,
                new EventJournal(
                        journalDir,
                        journalMaxBytes,
                        Math.min(64L * 1024 * 1024, Math.max(1024 * 1024, journalMaxBytes / 8))),
                queueCapacity,
                Duration.ofSeconds(30),
                metrics);
    }

    /** @param drainOnClose how long {@link #close()} keeps sending to Kafka before leaving the rest in the journal */
    KafkaEventPublisher(
            String topic,
            Producer<String, byte[]> producer,
            ConfluentAvroSerde<CaptureEvent> serde,
            EventJournal journal,
            int queueCapacity,
            Duration drainOnClose,
            MeterRegistry metrics) {
        this.drainOnClose = drainOnClose;
        this.producer = producer;
        this.journal = journal;
        this.queue = new ArrayBlockingQueue<>(queueCapacity);
        this.lost = metrics.counter("tapeline.agent.events.lost");
        this.requests = metrics.counter("tapeline.agent.events", "type", "request");
        this.responses = metrics.counter("tapeline.agent.events", "type", "response");
        this.chunks = metrics.counter("tapeline.agent.events", "type", "chunk");
        this.outcomes = metrics.counter("tapeline.agent.events", "type", "outcome");
        metrics.gauge("tapeline.agent.journal.pending.bytes", journal, EventJournal::pendingBytes);
        io.micrometer.core.instrument.Gauge.builder(
                        "tapeline.agent.journal.writable", journalDisk, disk -> disk.cause() == null ? 1 : 0)
                .description("1 while the event journal takes writes, 0 while its disk fails (capture events lost)")
                .register(metrics);
        this.writer = new Thread(
                new JournalWriter(queue, droppedFinals, journal, lossy, this::lose, serde, topic, journalDisk),
                "tapeline-event-journal");
        this.sending = new JournalSender(
                topic,
                producer,
                serde,
                journal,
                metrics.counter("tapeline.agent.events.published"),
                metrics.counter("tapeline.agent.events.failed"),
                Timer.builder("tapeline.agent.publish.latency")
                        .description("From an event's time to Kafka's acknowledgement of it")
                        .register(metrics),
                () -> closing.get() && !this.writer.isAlive());
        this.sender = new Thread(sending, "tapeline-event-publisher");
        writer.setDaemon(true);
        sender.setDaemon(true);
        writer.start();
        sender.start();
    }

    private static Producer<String, byte[]> producer(Map<String, Object> producerConfig) {
        Map<String, Object> config = new HashMap<>(defaults());
        config.putAll(producerConfig);
        return new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
    }

    /** How many capture events wait in memory for the journal before an exchange loses one. */
    public static final int QUEUE_CAPACITY = 100_000;

    /** Producer settings chosen for capture: durable, ordered, batched, compressed, never giving up, records up to {@link Limits#MAX_RECORD_BYTES}. */
    public static Map<String, Object> defaults() {
        return Map.of(
                ProducerConfig.ACKS_CONFIG,
                "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                true,
                ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION,
                5,
                ProducerConfig.COMPRESSION_TYPE_CONFIG,
                "lz4",
                ProducerConfig.LINGER_MS_CONFIG,
                5,
                ProducerConfig.BATCH_SIZE_CONFIG,
                256 * 1024,
                // the largest record Tapeline sends: a request body of up to 64 MB travels in one event
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                Limits.MAX_RECORD_BYTES,
                ProducerConfig.BUFFER_MEMORY_CONFIG,
                2L * Limits.MAX_RECORD_BYTES,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
                Integer.MAX_VALUE,
                ProducerConfig.MAX_BLOCK_MS_CONFIG,
                5_000);
    }

    @Override
    public void publish(CaptureEvent event) {
        count(event.getPayload());
        if (closing.get() || !queue.offer(event)) {
            lose(event, closing.get() ? "publisher closed" : "publish queue full");
            if (JournalWriter.isFinal(event) && !droppedFinals.offer(event)) {
                LOG.error(
                        "exchange {}: its outcome is lost too; it stays open in the pipeline", event.getCompletionId());
            }
        }
    }

    private void count(Object payload) {
        if (payload instanceof ChunkReceived) {
            chunks.increment();
        } else if (payload instanceof RequestStarted) {
            requests.increment();
        } else if (payload instanceof ResponseStarted) {
            responses.increment();
        } else {
            outcomes.increment();
        }
    }

    private void lose(CaptureEvent event, String why) {
        lost.increment();
        if (lossy.add(event.getCompletionId())) {
            LOG.warn(
                    "exchange {}: capture event not kept ({}); the exchange will be recorded as failed (CAPTURE_LOST)",
                    event.getCompletionId(),
                    why);
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
            queue.put(JournalWriter.STOP);
            writer.join(TimeUnit.SECONDS.toMillis(30));
            sender.join(Math.max(1, drainOnClose.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sending.stop();
        producer.close(Duration.ofSeconds(sender.isAlive() ? 0 : 5));
        try {
            sender.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        journal.close();
        if (journal.pendingBytes() > 0) {
            LOG.warn(
                    "{} bytes of capture events are kept in the journal and will be sent at the next start",
                    journal.pendingBytes());
        }
    }
}
