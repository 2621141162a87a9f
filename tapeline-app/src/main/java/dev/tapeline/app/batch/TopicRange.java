package dev.tapeline.app.batch;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 * Reads a range of a topic, by offsets or by time, and returns: the batch commands' way of reading
 * (replay, re-render). The consumer is assigned here, never subscribed, and commits nothing, so no
 * consumer group is touched; the end is fixed when the read starts, so it terminates.
 */
public final class TopicRange {

    private static final Logger LOG = LoggerFactory.getLogger(TopicRange.class);

    /** Where a range starts (inclusive) or ends (exclusive). */
    public sealed interface Bound {

        /** The start or the end of each partition (the end as it is when the replay starts). */
        record Edge() implements Bound {}

        /** The same offset in every partition. */
        record Offset(long offset) implements Bound {}

        /** An offset per partition; partitions not named take the edge. */
        record PartitionOffsets(Map<Integer, Long> offsets) implements Bound {}

        /** The first record at or after this time, in each partition. */
        record Timestamp(Instant at) implements Bound {}

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
                    return new Timestamp(java.time.LocalDate.parse(value)
                            .atStartOfDay(java.time.ZoneOffset.UTC)
                            .toInstant());
                }
                return new Timestamp(java.time.OffsetDateTime.parse(value).toInstant());
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("'" + text + "' is neither an ISO-8601 time (2026-11-26T10:00:00Z,"
                        + " 2026-11-26), an offset (1200) nor offsets per partition (0:1200,2:80)");
            }
        }
    }

    /** What a read does with what it finds. */
    public interface Reader<V> {

        /** A record within the range, in offset order per partition. */
        void accept(ConsumerRecord<String, V> record);

        /** A record the consumer's deserializer refused; the read goes past it. */
        default void unreadable(RecordDeserializationException e) {
            throw e;
        }

        /** After every poll; {@code total}: offsets in the range (transaction markers included). */
        default void polled(long total) {}
    }

    private TopicRange() {}

    /**
     * Reads {@code topic} from {@code from} until {@code until}. The consumer must read committed
     * records only.
     *
     * @param stall how long without any record before giving up with an error
     * @return the number of offsets in the range
     */
    public static <V> long read(
            Consumer<String, V> consumer, String topic, Bound from, Bound until, Reader<V> reader, Duration stall) {
        List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                .map(info -> new TopicPartition(topic, info.partition()))
                .sorted(java.util.Comparator.comparingInt(TopicPartition::partition))
                .toList();
        if (partitions.isEmpty()) {
            throw new IllegalArgumentException("topic " + topic + " does not exist");
        }
        Map<TopicPartition, Long> beginning = consumer.beginningOffsets(partitions);
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
        Map<TopicPartition, Long> start = resolve(consumer, from, partitions, end, beginning);
        Map<TopicPartition, Long> stop = resolve(consumer, until, partitions, end, end);
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
        LOG.info("reading {} offsets of {} from {} partitions", total, topic, remaining.size());
        consumer.assign(remaining.keySet());
        remaining.keySet().forEach(partition -> consumer.seek(partition, start.get(partition)));
        long lastRecord = System.nanoTime();
        while (!remaining.isEmpty()) {
            ConsumerRecords<String, V> records;
            try {
                records = consumer.poll(Duration.ofMillis(200));
            } catch (RecordDeserializationException e) {
                reader.unreadable(e);
                consumer.seek(e.topicPartition(), e.offset() + 1);
                continue;
            }
            for (ConsumerRecord<String, V> record : records) {
                Long last = remaining.get(new TopicPartition(record.topic(), record.partition()));
                if (last != null && record.offset() < last) {
                    reader.accept(record);
                    lastRecord = System.nanoTime();
                }
            }
            for (TopicPartition partition : new ArrayList<>(remaining.keySet())) {
                if (consumer.position(partition) >= remaining.get(partition)) {
                    remaining.remove(partition);
                    consumer.pause(List.of(partition));
                }
            }
            reader.polled(total);
            if (!remaining.isEmpty() && System.nanoTime() - lastRecord > stall.toNanos()) {
                throw new IllegalStateException("no record for " + stall + " before the end of the range in "
                        + remaining.keySet() + " (an open transaction holds them back?)");
            }
        }
        consumer.unsubscribe();
        return total;
    }

    private static Map<TopicPartition, Long> resolve(
            Consumer<String, ?> consumer,
            Bound bound,
            List<TopicPartition> partitions,
            Map<TopicPartition, Long> end,
            Map<TopicPartition, Long> edge) {
        if (bound instanceof Bound.Offset o) {
            return partitions.stream().collect(Collectors.toMap(Function.identity(), p -> o.offset()));
        }
        if (bound instanceof Bound.PartitionOffsets o) {
            return partitions.stream()
                    .collect(Collectors.toMap(
                            Function.identity(), p -> o.offsets().getOrDefault(p.partition(), edge.get(p))));
        }
        if (bound instanceof Bound.Timestamp t) {
            Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(
                    partitions.stream().collect(Collectors.toMap(Function.identity(), p -> t.at().toEpochMilli())));
            return partitions.stream()
                    .collect(Collectors.toMap(
                            Function.identity(),
                            p -> found.get(p) == null
                                    ? end.get(p)
                                    : found.get(p).offset()));
        }
        return new HashMap<>(edge);
    }
}
