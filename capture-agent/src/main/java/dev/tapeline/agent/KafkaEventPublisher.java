package dev.tapeline.agent;

import dev.tapeline.schema.CaptureEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes capture events to Kafka from one dedicated thread, so the event loop never waits on
 * the producer (whose {@code send} can block on metadata or a full buffer). Events of one
 * exchange keep their order: one queue, one thread, one key per exchange, idempotent producer.
 * When the queue is full the event is dropped, counted and logged (the disk journal that keeps
 * them instead is a later step).
 */
public final class KafkaEventPublisher implements EventPublisher {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaEventPublisher.class);
    private static final CaptureEvent POISON = new CaptureEvent();

    private final String topic;
    private final KafkaProducer<String, CaptureEvent> producer;
    private final BlockingQueue<CaptureEvent> queue;
    private final Thread sender;
    private final Counter published;
    private final Counter failed;
    private final Counter dropped;
    private volatile boolean closed;

    public KafkaEventPublisher(String topic, Map<String, Object> producerConfig, Serializer<CaptureEvent> serializer,
            int queueCapacity, MeterRegistry metrics) {
        this.topic = topic;
        Map<String, Object> config = new HashMap<>(defaults());
        config.putAll(producerConfig);
        this.producer = new KafkaProducer<>(config, new StringSerializer(), serializer);
        this.queue = new ArrayBlockingQueue<>(queueCapacity);
        this.published = metrics.counter("tapeline.agent.events.published");
        this.failed = metrics.counter("tapeline.agent.events.failed");
        this.dropped = metrics.counter("tapeline.agent.events.dropped");
        this.sender = new Thread(this::run, "tapeline-event-publisher");
        this.sender.setDaemon(true);
        this.sender.start();
    }

    /** Producer settings chosen for capture: durable, ordered, batched, compressed. */
    public static Map<String, Object> defaults() {
        return Map.of(
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5,
                ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4",
                ProducerConfig.LINGER_MS_CONFIG, 5,
                ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024,
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 16 * 1024 * 1024,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.MAX_VALUE);
    }

    @Override
    public void publish(CaptureEvent event) {
        if (closed || !queue.offer(event)) {
            dropped.increment();
            LOG.warn("capture event of exchange {} dropped: {}", event.getCompletionId(),
                    closed ? "publisher closed" : "publish queue full");
        }
    }

    private void run() {
        while (true) {
            CaptureEvent event;
            try {
                event = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            if (event == POISON) {
                return;
            }
            try {
                producer.send(new ProducerRecord<>(topic, event.getCompletionId(), event), (metadata, error) -> {
                    if (error == null) {
                        published.increment();
                    } else {
                        failed.increment();
                        LOG.warn("capture event of exchange {} not stored: {}", event.getCompletionId(), error.toString());
                    }
                });
            } catch (RuntimeException e) {
                failed.increment();
                LOG.warn("capture event of exchange {} not sent: {}", event.getCompletionId(), e.toString());
            }
        }
    }

    /** Sends what is queued, waits for the broker's acknowledgements, then stops. */
    @Override
    public void close() {
        closed = true;
        try {
            queue.put(POISON);
            sender.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(30));
    }
}
