package dev.tapeline.agent.capture;

import dev.tapeline.schema.CaptureEvent;
import dev.tapeline.schema.registry.SchemaRegistryException;
import dev.tapeline.schema.serde.ConfluentAvroSerde;
import dev.tapeline.settings.LastingProblem;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RetriableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sender thread: the journal to Kafka in batches, in order, each record sent as the bytes the
 * writer journaled (an older agent's record is serialized again, see {@link EventCodec}); the
 * checkpoint moves only when Kafka has acknowledged a whole batch. A batch that meets a retriable
 * error (Kafka away, no metadata) is sent again from its start after a pause: duplicates are
 * possible, losses are not (the stream processor keeps one copy of each event). Records Kafka
 * refuses for good (too large) are counted, logged and skipped.
 */
final class JournalSender implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(JournalSender.class);

    private final String topic;
    private final Producer<String, byte[]> producer;
    private final ConfluentAvroSerde<CaptureEvent> serde;
    private final EventCodec.Header header = new EventCodec.Header();
    private final EventJournal journal;
    private final Counter published;
    private final Counter failed;
    private final Timer latency;
    /** True once nothing more will be journaled: the sender stops when the journal is empty. */
    private final BooleanSupplier drained;

    /**
     * How often the journal is forced to disk while Kafka takes what it holds (and each time it does
     * not): an fsync per batch was a fifth of the agent's CPU in RECORD at 100 streams
     * (docs/benchmarks.md). What Kafka acknowledged is safe there; a machine crash loses at most
     * this much of what it had not yet acknowledged.
     */
    static final long SYNC_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private volatile boolean stopped;
    /** The journal's disk as this thread meets it (sync, checkpoint). */
    private final LastingProblem disk = new LastingProblem();

    private long syncedAtNanos = System.nanoTime();
    /** Whether the producer refused the last event handed to it (said once, not per retry). */
    private boolean refusing;

    JournalSender(
            String topic,
            Producer<String, byte[]> producer,
            ConfluentAvroSerde<CaptureEvent> serde,
            EventJournal journal,
            Counter published,
            Counter failed,
            Timer latency,
            BooleanSupplier drained) {
        this.topic = topic;
        this.producer = producer;
        this.serde = serde;
        this.journal = journal;
        this.published = published;
        this.failed = failed;
        this.latency = latency;
        this.drained = drained;
    }

    /** Stops sending at once; what was in flight stays in the journal. */
    void stop() {
        stopped = true;
    }

    @Override
    public void run() {
        EventJournal.Position position = journal.checkpoint();
        boolean away = false;
        while (!stopped) {
            List<EventJournal.Entry> entries;
            try {
                entries = journal.read(position, 5_000, 8L * 1024 * 1024, 50);
            } catch (InterruptedException e) {
                return;
            }
            if (System.nanoTime() - syncedAtNanos >= SYNC_INTERVAL_NANOS) {
                sync();
            }
            if (entries.isEmpty()) {
                if (drained.getAsBoolean()) {
                    return;
                }
                continue;
            }
            AtomicReference<Exception> retriable = new AtomicReference<>();
            for (EventJournal.Entry entry : entries) {
                if (retriable.get() != null) {
                    break;
                }
                while (!sendOnce(entry.data(), retriable)) {
                    if (stopped) {
                        return;
                    }
                    sleep(500);
                }
            }
            try {
                producer.flush();
            } catch (KafkaException e) {
                retriable.compareAndSet(null, e); // interrupted, or the producer failed: sent again from the journal
            }
            if (stopped) {
                return; // a forced close aborted what was in flight: it stays in the journal
            }
            if (retriable.get() != null) {
                sync(); // what Kafka could not take stays: on disk now
                if (!away) {
                    away = true;
                    LOG.warn(
                            "Kafka is not reachable ({}); capture events are kept in the journal and sent when it is back",
                            retriable.get().toString());
                }
                sleep(1_000);
                continue;
            }
            if (away) {
                away = false;
                LOG.info(
                        "Kafka is reachable again; sending the {} bytes of capture events the journal kept",
                        journal.pendingBytes());
            }
            position = entries.get(entries.size() - 1).next();
            acknowledge(position);
        }
    }

    /**
     * Forces the journal to disk. A disk fault is said (at once, then once a minute) and tried again
     * at the next interval: the records are in the journal and are sent all the same, only a crash
     * of the machine meanwhile could lose what Kafka has not acknowledged.
     */
    private void sync() {
        try {
            journal.sync();
            diskWorks();
        } catch (UncheckedIOException e) {
            diskFailed(e, "forced to disk");
        }
        syncedAtNanos = System.nanoTime();
    }

    /**
     * Moves the journal's checkpoint. A checkpoint the disk does not take is written at the next
     * acknowledgement; a restart meanwhile sends again what was acknowledged since (duplicates the
     * processor drops, never a loss).
     */
    private void acknowledge(EventJournal.Position position) {
        try {
            journal.acknowledge(position);
            diskWorks();
        } catch (UncheckedIOException e) {
            diskFailed(e, "checkpointed");
        }
    }

    private void diskFailed(UncheckedIOException e, String what) {
        if (disk.met(java.time.Instant.now(), e.getMessage())) {
            LOG.warn("the event journal cannot be {} ({}); sending goes on, tried again shortly", what, e.getMessage());
        }
    }

    private void diskWorks() {
        if (!disk.ongoing()) {
            return; // every write that works comes here: no clock read while nothing is wrong
        }
        java.time.Duration lasted = disk.over(java.time.Instant.now());
        if (lasted != null) {
            LOG.info("the event journal's disk works again after {} ms", lasted.toMillis());
        }
    }

    /** Hands one record to the producer; false when it cannot be sent now (registry away, buffer full). */
    private boolean sendOnce(byte[] record, AtomicReference<Exception> retriable) {
        byte[] value;
        try {
            value = valueOf(record);
        } catch (SchemaRegistryException e) {
            return refused(e);
        }
        header.read(value);
        String key = header.key();
        long timestampMs = header.timestampMs();
        try {
            producer.send(new ProducerRecord<>(topic, key, value), (metadata, error) -> {
                if (error == null) {
                    published.increment();
                    latency.record(System.currentTimeMillis() - timestampMs, TimeUnit.MILLISECONDS);
                } else if (error instanceof RetriableException || stopped) {
                    retriable.compareAndSet(null, error);
                } else {
                    failed.increment();
                    LOG.error("capture event of exchange {} refused by Kafka and skipped: {}", key, error.toString());
                }
            });
        } catch (KafkaException e) {
            return refused(e); // no metadata, the buffer full
        } catch (IllegalStateException e) {
            if (!stopped) {
                throw e;
            }
            return false; // closed by a forced stop: the record stays in the journal
        }
        if (refusing) {
            refusing = false;
            LOG.info("the producer takes capture events again");
        }
        return true;
    }

    /** The same record is handed over again shortly: said once, not per retry. */
    private boolean refused(RuntimeException e) {
        if (!refusing) {
            refusing = true;
            LOG.warn("the producer does not take capture events (retrying, nothing is lost): {}", e.toString());
        }
        return false;
    }

    /** The record value as Kafka takes it: the schema id set where the writer did not know it yet. */
    private byte[] valueOf(byte[] record) {
        if (EventCodec.isLegacy(record)) {
            return serde.serialize(topic, EventCodec.decodeLegacy(record));
        }
        if (ConfluentAvroSerde.schemaIdOf(record) == ConfluentAvroSerde.UNRESOLVED_ID) {
            ConfluentAvroSerde.setSchemaId(record, serde.schemaId(topic));
        }
        return record;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
