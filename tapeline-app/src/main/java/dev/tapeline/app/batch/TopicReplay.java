package dev.tapeline.app.batch;

import dev.tapeline.schema.Outcome;
import dev.tapeline.schema.Recording;
import dev.tapeline.sink.RecordingWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Set;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replays the recordings topic, or a range of it, into a fixture directory and returns: the batch
 * form of the sink. It reads with its own assignment and commits nothing, so the live sink's
 * offsets are never touched; running it twice writes nothing the second time.
 */
public final class TopicReplay {

    private static final Logger LOG = LoggerFactory.getLogger(TopicReplay.class);

    /**
     * Which recordings to replay; an empty set or null prefix lets everything through. Tombstones
     * carry no recording: they are applied only when no filter is set.
     */
    public record Filter(Set<String> endpoints, Set<String> models, String testIdPrefix, Set<Outcome> outcomes) {

        public static final Filter ALL = new Filter(Set.of(), Set.of(), null, Set.of());

        public Filter {
            endpoints = endpoints == null ? Set.of() : Set.copyOf(endpoints);
            models = models == null ? Set.of() : Set.copyOf(models);
            outcomes = outcomes == null ? Set.of() : Set.copyOf(outcomes);
        }

        public boolean isEmpty() {
            return endpoints.isEmpty() && models.isEmpty() && testIdPrefix == null && outcomes.isEmpty();
        }

        boolean matches(Recording recording) {
            return (endpoints.isEmpty()
                            || endpoints.contains(recording.getRequest().getEndpoint()))
                    && (models.isEmpty() || models.contains(modelOf(recording)))
                    && (testIdPrefix == null
                            || (recording.getTestId() != null
                                    && recording.getTestId().startsWith(testIdPrefix)))
                    && (outcomes.isEmpty() || outcomes.contains(recording.getOutcome()));
        }

        private static String modelOf(Recording recording) {
            return dev.tapeline.fixture.FixtureRequest.modelOf(
                    dev.tapeline.schema.Buffers.toArray(recording.getRequest().getBody()));
        }
    }

    /**
     * Counts so far; {@code total} is the number of offsets in the range (transaction markers
     * included); {@code failed}: records the writer failed on (a bug), each logged with its error.
     */
    public record Progress(
            long records,
            long bytes,
            long total,
            long written,
            long unchanged,
            long deleted,
            long filtered,
            long skipped,
            long unreadable,
            long failed) {}

    private TopicReplay() {}

    /**
     * Replays {@code topic} from {@code from} until {@code until} through {@code writer}. The
     * consumer must read committed records only; it is assigned here and never commits.
     *
     * @param notWritten counts the records that became no file, by reason
     * @param progress   told after every poll
     * @param stall      how long without any record before giving up with an error
     */
    static Progress run(
            Consumer<String, Recording> consumer,
            String topic,
            TopicRange.Bound from,
            TopicRange.Bound until,
            Filter filter,
            RecordingWriter writer,
            NotWrittenTally notWritten,
            java.util.function.Consumer<Progress> progress,
            Duration stall) {
        Counts counts = new Counts();
        counts.total = TopicRange.read(
                consumer,
                topic,
                from,
                until,
                new TopicRange.Reader<>() {
                    @Override
                    public void accept(ConsumerRecord<String, Recording> record) {
                        counts.records++;
                        counts.bytes +=
                                Math.max(0, record.serializedKeySize()) + Math.max(0, record.serializedValueSize());
                        apply(record, filter, writer, counts, notWritten);
                    }

                    @Override
                    public void unreadable(RecordDeserializationException e) {
                        LOG.error(
                                "record at {} offset {} cannot be read and is skipped: {}",
                                e.topicPartition(),
                                e.offset(),
                                e.getCause() == null
                                        ? e.getMessage()
                                        : e.getCause().getMessage());
                        counts.unreadable++;
                    }

                    @Override
                    public void polled(long total) {
                        counts.total = total;
                        progress.accept(counts.progress());
                    }
                },
                stall);
        return counts.progress();
    }

    private static void apply(
            ConsumerRecord<String, Recording> record,
            Filter filter,
            RecordingWriter writer,
            Counts counts,
            NotWrittenTally notWritten) {
        if (record.value() == null ? !filter.isEmpty() : !filter.matches(record.value())) {
            counts.filtered++;
            return;
        }
        RecordingWriter.Applied applied;
        try {
            applied = writer.apply(record.key(), record.value());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the fixture of " + record.key(), e);
        } catch (RuntimeException e) {
            // a bug: counted, logged with its error, and the command fails at the end
            LOG.warn(
                    "{} at {}-{} offset {} could not be written",
                    record.key(),
                    record.topic(),
                    record.partition(),
                    record.offset(),
                    e);
            counts.failed++;
            return;
        }
        if (applied.result() == null) {
            notWritten.add(
                    record.key(), record.topic() + "-" + record.partition() + " offset " + record.offset(), applied);
            counts.skipped++;
            return;
        }
        switch (applied.result()) {
            case WRITTEN -> counts.written++;
            case UNCHANGED -> counts.unchanged++;
            case DELETED -> counts.deleted++;
        }
    }

    private static final class Counts {
        long total;
        long records;
        long bytes;
        long written;
        long unchanged;
        long deleted;
        long filtered;
        long skipped;
        long unreadable;
        long failed;

        Progress progress() {
            return new Progress(
                    records, bytes, total, written, unchanged, deleted, filtered, skipped, unreadable, failed);
        }
    }
}
