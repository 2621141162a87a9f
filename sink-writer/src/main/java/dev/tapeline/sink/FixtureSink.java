package dev.tapeline.sink;

import dev.tapeline.schema.Recording;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes the recordings topic and writes each completed recording as a fixture file. Offsets
 * are committed only after every file of the polled batch is durable, so a crash re-delivers and
 * the idempotent writer makes the repeat harmless. What each record becomes is {@link RecordingWriter}'s
 * to decide (a tombstone deletes its fixture); recordings that have no fixture (unknown shapes,
 * events lost) are logged with the reason and stay in the topic. A record the sink cannot read,
 * or one the writer fails on (a bug), goes to the dead-letter topic with the error in its
 * headers, is counted and logged at WARN, and the sink moves past it; a disk problem stops the
 * sink without committing.
 */
public final class FixtureSink implements Runnable, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FixtureSink.class);

    /** A fixture the sink wrote or found identical. */
    /**
     * A fixture written, found unchanged or deleted.
     *
     * @param completionId the exchange the recording records (null for a tombstone)
     */
    public record Written(Path path, String fixtureKey, FixtureWriter.Result result, String completionId) {}

    /** A recording that became no fixture, and why. */
    public record NotWritten(String fixtureKey, String completionId, String reason) {}

    /** A write takes well under a second even at 128 MB; a temporary this old was abandoned. */
    static final Duration ABANDONED_AFTER = Duration.ofMinutes(10);

    private final SinkConfig config;
    private final DeadLetters deadLetters;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final KafkaClientMetrics consumerMetrics;
    private final Deserializer<Recording> deserializer;
    private final RecordingWriter recordings;
    private final MeterRegistry metrics;
    private final Consumer<Written> listener;
    private volatile Consumer<NotWritten> notWrittenListener = notWritten -> {};
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean running = true;
    /** Whether the consumer has joined its group (its share of partitions, possibly none, is known). */
    private volatile boolean joined;

    private volatile boolean started;

    /**
     * @param deadLetters where unreadable records and those the writer fails on go before the sink moves past them
     * @param metrics     counts fixtures by result, recordings not written, dead letters by reason
     */
    public FixtureSink(
            SinkConfig config,
            Map<String, Object> consumerConfig,
            Deserializer<Recording> deserializer,
            DeadLetters deadLetters,
            MeterRegistry metrics,
            Consumer<Written> listener) {
        this.config = config;
        this.deadLetters = deadLetters;
        this.deserializer = deserializer;
        this.metrics = metrics;
        Map<String, Object> settings = new HashMap<>(consumerConfig);
        settings.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
        settings.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        settings.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        settings.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // bytes: each record is read here, so one that cannot be read goes to the dead letters as it was
        this.consumer = new KafkaConsumer<>(settings, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        // the consumer's own metrics (lag among them) on /metrics
        this.consumerMetrics = new KafkaClientMetrics(consumer);
        consumerMetrics.bindTo(metrics);
        this.recordings = new RecordingWriter(
                new FixtureWriter(config.fixtureRoot()), config.layout(), config.writeIncomplete(), false);
        this.listener = listener;
    }

    @Override
    public void run() {
        started = true;
        try {
            removeAbandonedTemporaries();
            consumer.subscribe(List.of(config.recordingsTopic()), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    // each batch is committed once its files are durable: nothing is in flight here
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    joined = true;
                    LOG.info("sink assigned {} partitions of {}", partitions.size(), config.recordingsTopic());
                }
            });
            while (running) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(config.pollTimeout());
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    handle(record);
                }
                if (!records.isEmpty()) {
                    consumer.commitSync();
                }
            }
        } catch (WakeupException e) {
            if (running) {
                throw e;
            }
        } finally {
            consumerMetrics.close();
            consumer.close(Duration.ofSeconds(10));
            stopped.countDown();
        }
    }

    /** What a sink killed mid-write left: hidden temporaries, older than any write in progress could be. */
    private void removeAbandonedTemporaries() {
        try {
            int removed = recordings.fileWriter().removeAbandonedTemporaries(ABANDONED_AFTER);
            if (removed > 0) {
                LOG.info("removed {} temporary files an interrupted sink left under {}", removed, config.fixtureRoot());
            }
        } catch (IOException | UncheckedIOException e) {
            LOG.warn("could not look for temporary files left under {}: {}", config.fixtureRoot(), e.toString());
        }
    }

    private void handle(ConsumerRecord<byte[], byte[]> record) {
        String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
        Recording recording;
        try {
            recording = deserializer.deserialize(record.topic(), record.headers(), record.value());
        } catch (RuntimeException e) {
            // not a Recording (another writer's bytes, a schema id the registry does not know)
            deadLetter(record, key, "unreadable", e);
            return;
        }
        RecordingWriter.Applied applied;
        try {
            applied = recordings.apply(key, recording);
        } catch (IOException e) {
            // a disk problem: stop without committing, so nothing accepted is lost
            throw new UncheckedIOException("cannot write the fixture of " + key, e);
        } catch (RuntimeException e) {
            // a bug in rendering or writing: never a silent skip
            deadLetter(record, key, "writer_failed", e);
            return;
        }
        if (applied.result() == null) {
            metrics.counter("tapeline.sink.recordings.not.written").increment();
            notWrittenListener.accept(
                    new NotWritten(key, recording == null ? null : recording.getCompletionId(), applied.reason()));
            LOG.info(
                    "recording {} at {}-{} offset {} not written: {}",
                    key,
                    record.topic(),
                    record.partition(),
                    record.offset(),
                    applied.reason());
            return;
        }
        for (Path path : applied.paths()) {
            metrics.counter(
                            "tapeline.sink.fixtures",
                            "result",
                            applied.result().name().toLowerCase(Locale.ROOT))
                    .increment();
            LOG.debug("fixture {} {}", path, applied.result());
            listener.accept(
                    new Written(path, key, applied.result(), recording == null ? null : recording.getCompletionId()));
        }
    }

    /** Keeps the record on the dead-letter topic (or says it is skipped where there is none), counted and logged. */
    private void deadLetter(ConsumerRecord<byte[], byte[]> record, String key, String reason, RuntimeException error) {
        if (deadLetters != null) {
            deadLetters.store(record, error, "sink");
        }
        metrics.counter("tapeline.sink.dead.letters", "reason", reason).increment();
        LOG.warn(
                "recording {} at {}-{} offset {} {}{}",
                key,
                record.topic(),
                record.partition(),
                record.offset(),
                reason.equals("unreadable") ? "cannot be read" : "could not be written",
                deadLetters == null ? " and is skipped" : "; it went to the dead-letter topic",
                error);
    }

    /** Also tells {@code listener} of each recording that became no fixture (set before {@link #run}). */
    public void onNotWritten(Consumer<NotWritten> listener) {
        this.notWrittenListener = listener;
    }

    /** Ready: running and in its consumer group. */
    public boolean ready() {
        return running && joined;
    }

    @Override
    public void close() {
        running = false;
        if (!started) {
            consumerMetrics.close();
            consumer.close(Duration.ZERO);
            return;
        }
        consumer.wakeup();
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
