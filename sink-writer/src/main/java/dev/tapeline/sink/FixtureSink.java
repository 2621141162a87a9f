package dev.tapeline.sink;

import dev.tapeline.schema.Limits;
import dev.tapeline.schema.Recording;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
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
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes the recordings topic and writes each completed recording as a fixture file. Offsets
 * are committed only up to the last record whose files are durable, so a crash re-delivers and
 * the idempotent writer makes the repeat harmless. What each record becomes is {@link RecordingWriter}'s
 * to decide (a tombstone deletes its fixture); recordings that have no fixture (unknown shapes,
 * exchanges that broke off) are counted by reason and logged with it (WARN where a client's call
 * leaves no fixture) and stay in the topic. A record the sink cannot read, or one the writer fails
 * on (a bug), goes to the dead-letter topic with the error in its headers, is counted and logged
 * at WARN, and the sink moves past it. A fixture repository that cannot be written (an I/O fault:
 * no space, read-only, permission denied) pauses the sink where it is: nothing past the record is
 * committed, it tries again with backoff, says why at WARN once a minute and on {@link #problem()},
 * and goes on by itself once a write succeeds.
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

    /**
     * A recording that became no fixture, and why.
     *
     * @param label  the reason, short enough to count by ({@link RecordingWriter.Applied#label()})
     * @param reason the whole reason
     */
    public record NotWritten(
            String fixtureKey, String completionId, RecordingWriter.Skip skip, String label, String reason) {}

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

    /** Whether and why the fixture repository cannot be written now (this thread writes it). */
    private final RepositoryStall stall;

    /**
     * @param deadLetters where unreadable records and those the writer fails on go before the sink moves past them
     * @param metrics     counts fixtures by result, recordings not written, dead letters by reason
     * @param clock       when a stalled repository is tried again and said so
     */
    public FixtureSink(
            SinkConfig config,
            Map<String, Object> consumerConfig,
            Deserializer<Recording> deserializer,
            DeadLetters deadLetters,
            MeterRegistry metrics,
            Consumer<Written> listener,
            Clock clock) {
        this.config = config;
        this.deadLetters = deadLetters;
        this.deserializer = deserializer;
        this.metrics = metrics;
        Map<String, Object> settings = new HashMap<>(consumerConfig);
        settings.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
        settings.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        settings.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        settings.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // a recording holds a request and its whole answer: records up to the topics' limit
        settings.putIfAbsent(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Limits.MAX_RECORD_BYTES);
        // bytes: each record is read here, so one that cannot be read goes to the dead letters as it was
        this.consumer = new KafkaConsumer<>(settings, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        // the consumer's own metrics (lag among them) on /metrics
        this.consumerMetrics = new KafkaClientMetrics(consumer);
        consumerMetrics.bindTo(metrics);
        this.recordings = new RecordingWriter(
                new FixtureWriter(config.fixtureRoot()), config.layout(), config.writeIncomplete(), false);
        this.listener = listener;
        Duration first = SinkConfig.FIRST_WRITE_RETRY.compareTo(config.writeRetryMax()) < 0
                ? SinkConfig.FIRST_WRITE_RETRY
                : config.writeRetryMax();
        this.stall = new RepositoryStall(clock, first, config.writeRetryMax());
        io.micrometer.core.instrument.Gauge.builder(
                        "tapeline.sink.repository.writable", this, sink -> sink.problem() == null ? 1 : 0)
                .description("1 while the sink can write the fixture repository, 0 while it waits for it")
                .register(metrics);
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
                    if (stall.stalled()) {
                        // one repository for every partition: a new one waits with the others
                        consumer.pause(partitions);
                    }
                }
            });
            while (running) {
                if (stall.retryDue()) {
                    consumer.resume(consumer.paused());
                }
                ConsumerRecords<byte[], byte[]> records = consumer.poll(config.pollTimeout());
                if (!records.isEmpty()) {
                    handleBatch(records);
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

    /**
     * Handles the records in order, partition by partition, and commits each partition up to its
     * last record handled. On a repository fault the partitions go back to their first record not
     * handled and pause until the next try.
     */
    private void handleBatch(ConsumerRecords<byte[], byte[]> records) {
        Map<TopicPartition, OffsetAndMetadata> done = new HashMap<>();
        ConsumerRecord<byte[], byte[]> failed = null;
        IOException fault = null;
        boolean wrote = false;
        batch:
        for (TopicPartition partition : records.partitions()) {
            for (ConsumerRecord<byte[], byte[]> record : records.records(partition)) {
                try {
                    wrote |= handle(record);
                } catch (IOException e) {
                    failed = record;
                    fault = e;
                    break batch;
                }
                done.put(partition, new OffsetAndMetadata(record.offset() + 1));
            }
        }
        if (!done.isEmpty()) {
            consumer.commitSync(done);
        }
        if (fault == null) {
            // only a file written or deleted proves the repository writable: records that write
            // nothing (skipped, unchanged) leave a stall as it is, the next write tries it
            Duration lasted = wrote ? stall.cleared() : null;
            if (lasted != null) {
                LOG.info(
                        "fixture repository {} is writable again after {} ms; the sink goes on",
                        config.fixtureRoot(),
                        lasted.toMillis());
            }
            return;
        }
        for (TopicPartition partition : records.partitions()) {
            OffsetAndMetadata next = done.get(partition);
            consumer.seek(
                    partition,
                    next != null
                            ? next.offset()
                            : records.records(partition).get(0).offset());
        }
        consumer.pause(consumer.assignment());
        metrics.counter("tapeline.sink.write.failures").increment();
        boolean first = !stall.stalled();
        if (stall.failed(fault, !done.isEmpty())) {
            if (first) {
                LOG.warn(
                        "{} (under {}); the sink waits at {}-{} offset {} (nothing committed past it) and tries"
                                + " again by itself",
                        stall.problem(),
                        config.fixtureRoot(),
                        failed.topic(),
                        failed.partition(),
                        failed.offset());
            } else {
                LOG.warn(
                        "{} for {} s ({} tries); the sink still waits at {}-{} offset {}",
                        stall.problem(),
                        stall.lasted().toSeconds(),
                        stall.attempts(),
                        failed.topic(),
                        failed.partition(),
                        failed.offset());
            }
        }
    }

    /**
     * Handles one record: true when it wrote or deleted a file. An I/O fault of the fixture
     * repository is thrown, nothing else.
     */
    private boolean handle(ConsumerRecord<byte[], byte[]> record) throws IOException {
        String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
        Recording recording;
        try {
            recording = deserializer.deserialize(record.topic(), record.headers(), record.value());
        } catch (RuntimeException e) {
            // not a Recording (another writer's bytes, a schema id the registry does not know)
            deadLetter(record, key, "unreadable", e);
            return false;
        }
        RecordingWriter.Applied applied;
        try {
            applied = recordings.apply(key, recording);
        } catch (UncheckedIOException e) {
            // a listing of the repository failed (a tombstone's search): a disk problem as any other
            throw e.getCause();
        } catch (RuntimeException e) {
            // a bug in rendering or writing: never a silent skip
            deadLetter(record, key, "writer_failed", e);
            return false;
        }
        if (applied.result() == null) {
            metrics.counter(
                            "tapeline.sink.recordings.not.written",
                            "reason",
                            applied.skip().name().toLowerCase(Locale.ROOT))
                    .increment();
            notWrittenListener.accept(new NotWritten(
                    key,
                    recording == null ? null : recording.getCompletionId(),
                    applied.skip(),
                    applied.label(),
                    applied.reason()));
            // a call that leaves no fixture is a gap in the fixtures: said above INFO
            org.slf4j.event.Level level = applied.skip() == RecordingWriter.Skip.NO_FIXTURE_SHAPE
                    ? org.slf4j.event.Level.WARN
                    : org.slf4j.event.Level.INFO;
            LOG.atLevel(level)
                    .log(
                            "recording {} at {}-{} offset {} not written: {}",
                            key,
                            record.topic(),
                            record.partition(),
                            record.offset(),
                            applied.reason());
            return false;
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
        return applied.result() != FixtureWriter.Result.UNCHANGED;
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

    /** Ready: running, in its consumer group, and able to write the fixture repository. */
    public boolean ready() {
        return running && joined && problem() == null;
    }

    /**
     * Why the sink waits, or null: {@code fixture repository not writable: <file>: No space left on
     * device} while a write fails; readable from any thread.
     */
    public String problem() {
        return stall.problem();
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
