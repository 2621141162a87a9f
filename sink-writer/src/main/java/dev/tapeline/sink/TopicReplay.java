package dev.tapeline.sink;

import dev.tapeline.schema.Outcome;
import dev.tapeline.schema.Recording;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
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

    /** Where a range starts (inclusive) or ends (exclusive). */
    public sealed interface Bound {

        /** The start or the end of each partition (the end as it is when the replay starts). */
        record Edge() implements Bound {
        }

        /** The same offset in every partition. */
        record Offset(long offset) implements Bound {
        }

        /** An offset per partition; partitions not named take the edge. */
        record PartitionOffsets(Map<Integer, Long> offsets) implements Bound {
        }

        /** The first record at or after this time, in each partition. */
        record Timestamp(Instant at) implements Bound {
        }

        Bound EDGE = new Edge();

        /**
         * An ISO-8601 instant ({@code 2026-11-26T10:00:00Z}) or date ({@code 2026-11-26}, midnight UTC),
         * an offset for every partition ({@code 1200}), or offsets per partition ({@code 0:1200,2:80}).
         */
        static Bound parse(String text) {
            String value = text.trim();
            try {
                if (value.matches("\\d+")) {
                    return new Offset(Long.parseLong(value));
                }
                if (value.matches("\\d+:\\d+(,\\d+:\\d+)*")) {
                    Map<Integer, Long> offsets = new HashMap<>();
                    for (String pair : value.split(",")) {
                        String[] parts = pair.split(":");
                        offsets.put(Integer.parseInt(parts[0]), Long.parseLong(parts[1]));
                    }
                    return new PartitionOffsets(Map.copyOf(offsets));
                }
                if (value.matches("\\d{4}-\\d{2}-\\d{2}")) {
                    return new Timestamp(java.time.LocalDate.parse(value).atStartOfDay(java.time.ZoneOffset.UTC).toInstant());
                }
                return new Timestamp(java.time.OffsetDateTime.parse(value).toInstant());
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("'" + text + "' is neither an ISO-8601 time (2026-11-26T10:00:00Z,"
                        + " 2026-11-26), an offset (1200) nor offsets per partition (0:1200,2:80)");
            }
        }
    }

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
            return (endpoints.isEmpty() || endpoints.contains(recording.getRequest().getEndpoint()))
                    && (models.isEmpty() || models.contains(modelOf(recording)))
                    && (testIdPrefix == null || (recording.getTestId() != null && recording.getTestId().startsWith(testIdPrefix)))
                    && (outcomes.isEmpty() || outcomes.contains(recording.getOutcome()));
        }

        private static String modelOf(Recording recording) {
            try {
                com.fasterxml.jackson.databind.JsonNode model = dev.tapeline.fixture.PyJson.parse(
                        dev.tapeline.schema.Buffers.toArray(recording.getRequest().getBody())).get("model");
                return model == null || !model.isTextual() ? null : model.textValue();
            } catch (RuntimeException e) {
                return null;
            }
        }
    }

    /** Counts so far; {@code total} is the number of offsets in the range (transaction markers included). */
    public record Progress(long records, long bytes, long total, long written, long unchanged, long deleted, long filtered,
            long skipped, long unreadable) {
    }

    private TopicReplay() {
    }

    /**
     * Replays {@code topic} from {@code from} until {@code until} through {@code writer}. The
     * consumer must read committed records only; it is assigned here and never commits.
     *
     * @param progress told after every poll
     * @param stall    how long without any record before giving up with an error
     */
    public static Progress run(Consumer<String, Recording> consumer, String topic, Bound from, Bound until, Filter filter,
            RecordingWriter writer, java.util.function.Consumer<Progress> progress, Duration stall) {
        List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                .map(info -> new TopicPartition(topic, info.partition())).sorted(java.util.Comparator.comparingInt(
                        TopicPartition::partition)).toList();
        if (partitions.isEmpty()) {
            throw new IllegalArgumentException("topic " + topic + " does not exist");
        }
        Map<TopicPartition, Long> beginning = consumer.beginningOffsets(partitions);
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
        Map<TopicPartition, Long> start = resolve(consumer, from, partitions, beginning, end, beginning);
        Map<TopicPartition, Long> stop = resolve(consumer, until, partitions, beginning, end, end);
        Map<TopicPartition, Long> remaining = new HashMap<>();
        long total = 0;
        for (TopicPartition partition : partitions) {
            long first = Math.max(start.get(partition), beginning.get(partition));
            long last = Math.min(stop.get(partition), end.get(partition));
            if (first < last) {
                remaining.put(partition, last);
                start.put(partition, first);
                total += last - first;
            }
        }
        LOG.info("replaying {} offsets of {} from {} partitions", total, topic, remaining.size());
        consumer.assign(remaining.keySet());
        remaining.keySet().forEach(partition -> consumer.seek(partition, start.get(partition)));
        Counts counts = new Counts(total);
        long lastRecord = System.nanoTime();
        while (!remaining.isEmpty()) {
            ConsumerRecords<String, Recording> records;
            try {
                records = consumer.poll(Duration.ofMillis(200));
            } catch (RecordDeserializationException e) {
                LOG.error("record at {} offset {} cannot be read and is skipped: {}", e.topicPartition(), e.offset(),
                        e.getCause() == null ? e.getMessage() : e.getCause().getMessage());
                counts.unreadable++;
                consumer.seek(e.topicPartition(), e.offset() + 1);
                continue;
            }
            for (ConsumerRecord<String, Recording> record : records) {
                TopicPartition partition = new TopicPartition(record.topic(), record.partition());
                Long last = remaining.get(partition);
                if (last == null || record.offset() >= last) {
                    continue;
                }
                counts.records++;
                counts.bytes += Math.max(0, record.serializedKeySize()) + Math.max(0, record.serializedValueSize());
                apply(record, filter, writer, counts);
                lastRecord = System.nanoTime();
            }
            for (TopicPartition partition : new ArrayList<>(remaining.keySet())) {
                if (consumer.position(partition) >= remaining.get(partition)) {
                    remaining.remove(partition);
                    consumer.pause(List.of(partition));
                }
            }
            progress.accept(counts.progress());
            if (!remaining.isEmpty() && System.nanoTime() - lastRecord > stall.toNanos()) {
                throw new IllegalStateException("no record for " + stall + " before the end of the range in "
                        + remaining.keySet() + " (an open transaction holds them back?)");
            }
        }
        consumer.unsubscribe();
        return counts.progress();
    }

    private static void apply(ConsumerRecord<String, Recording> record, Filter filter, RecordingWriter writer, Counts counts) {
        if (record.value() == null ? !filter.isEmpty() : !filter.matches(record.value())) {
            counts.filtered++;
            return;
        }
        RecordingWriter.Applied applied;
        try {
            applied = writer.apply(record.key(), record.value());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the fixture of " + record.key(), e);
        }
        if (applied.result() == null) {
            LOG.debug("{} at {}-{} offset {}: {}", record.key(), record.topic(), record.partition(), record.offset(),
                    applied.reason());
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
        final long total;
        long records;
        long bytes;
        long written;
        long unchanged;
        long deleted;
        long filtered;
        long skipped;
        long unreadable;

        Counts(long total) {
            this.total = total;
        }

        Progress progress() {
            return new Progress(records, bytes, total, written, unchanged, deleted, filtered, skipped, unreadable);
        }
    }

    private static Map<TopicPartition, Long> resolve(Consumer<String, Recording> consumer, Bound bound,
            List<TopicPartition> partitions, Map<TopicPartition, Long> beginning, Map<TopicPartition, Long> end,
            Map<TopicPartition, Long> edge) {
        if (bound instanceof Bound.Offset o) {
            return partitions.stream().collect(Collectors.toMap(Function.identity(), p -> o.offset()));
        }
        if (bound instanceof Bound.PartitionOffsets o) {
            return partitions.stream().collect(Collectors.toMap(Function.identity(),
                    p -> o.offsets().getOrDefault(p.partition(), edge.get(p))));
        }
        if (bound instanceof Bound.Timestamp t) {
            Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(partitions.stream()
                    .collect(Collectors.toMap(Function.identity(), p -> t.at().toEpochMilli())));
            return partitions.stream().collect(Collectors.toMap(Function.identity(),
                    p -> found.get(p) == null ? end.get(p) : found.get(p).offset()));
        }
        return new HashMap<>(edge);
    }
}
