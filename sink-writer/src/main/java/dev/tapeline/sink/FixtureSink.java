package dev.tapeline.sink;

import dev.tapeline.schema.Recording;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes the recordings topic and writes each completed recording as a fixture file. Offsets
 * are committed only after every file of the polled batch is durable, so a crash re-delivers and
 * the idempotent writer makes the repeat harmless. What each record becomes is {@link RecordingWriter}'s
 * to decide (a tombstone deletes its fixture); recordings that cannot be written (unknown shapes,
 * events lost) are logged with the reason and stay in the topic.
 */
public final class FixtureSink implements Runnable, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FixtureSink.class);

    /** A fixture the sink wrote or found identical. */
    public record Written(Path path, String fixtureKey, FixtureWriter.Result result) {
    }

    /** A write takes well under a second even at 128 MB; a temporary this old was abandoned. */
    static final Duration ABANDONED_AFTER = Duration.ofMinutes(10);

    private final SinkConfig config;
    private final DeadLetters deadLetters;
    private final KafkaConsumer<String, Recording> consumer;
    private final RecordingWriter recordings;
    private final Consumer<Written> listener;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean running = true;
    private volatile boolean started;

    public FixtureSink(SinkConfig config, Map<String, Object> consumerConfig, Deserializer<Recording> deserializer,
            Consumer<Written> listener) {
        this(config, consumerConfig, deserializer, null, listener);
    }

    /** @param deadLetters where unreadable records go before the sink moves past them; null: logged only */
    public FixtureSink(SinkConfig config, Map<String, Object> consumerConfig, Deserializer<Recording> deserializer,
            DeadLetters deadLetters, Consumer<Written> listener) {
        this.config = config;
        this.deadLetters = deadLetters;
        Map<String, Object> settings = new HashMap<>(consumerConfig);
        settings.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
        settings.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        settings.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        settings.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        this.consumer = new KafkaConsumer<>(settings, new StringDeserializer(), deserializer);
        this.recordings = new RecordingWriter(new FixtureWriter(config.fixtureRoot()), config.layout(),
                config.writeIncomplete(), false);
        this.listener = listener;
    }

    @Override
    public void run() {
        started = true;
        try {
            removeAbandonedTemporaries();
            consumer.subscribe(List.of(config.recordingsTopic()));
            while (running) {
                ConsumerRecords<String, Recording> records;
                try {
                    records = consumer.poll(config.pollTimeout());
                } catch (RecordDeserializationException e) {
                    // a record that is not a Recording: keep it on the dead-letter topic, say where it was, go past it
                    if (deadLetters != null) {
                        deadLetters.store(e);
                    }
                    LOG.error("recording at {} offset {} cannot be read{}: {}", e.topicPartition(), e.offset(),
                            deadLetters == null ? " and is skipped" : " and went to the dead-letter topic",
                            e.getCause() == null ? e.getMessage() : e.getCause().getMessage());
                    consumer.seek(e.topicPartition(), e.offset() + 1);
                    continue;
                }
                for (ConsumerRecord<String, Recording> record : records) {
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

    private void handle(ConsumerRecord<String, Recording> record) {
        RecordingWriter.Applied applied;
        try {
            applied = recordings.apply(record.key(), record.value());
        } catch (IOException e) {
            // a disk problem: stop without committing, so nothing accepted is lost
            throw new UncheckedIOException("cannot write the fixture of " + record.key(), e);
        }
        if (applied.result() == null) {
            LOG.info("recording {} at {}-{} offset {} not written: {}", record.key(), record.topic(), record.partition(),
                    record.offset(), applied.reason());
            return;
        }
        for (Path path : applied.paths()) {
            LOG.debug("fixture {} {}", path, applied.result());
            listener.accept(new Written(path, record.key(), applied.result()));
        }
    }

    @Override
    public void close() {
        running = false;
        if (!started) {
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
