package dev.tapeline.app.batch;

import dev.tapeline.processor.ProcessorConfig;
import dev.tapeline.processor.ProcessorRuntime;
import dev.tapeline.processor.RecordingTopology;
import dev.tapeline.schema.Outcome;
import dev.tapeline.schema.Recording;
import dev.tapeline.schema.registry.SchemaRegistryClient;
import dev.tapeline.schema.serde.ConfluentAvroSerde;
import dev.tapeline.settings.SettingValues;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;

/**
 * Rebuilds recordings from the retained capture events, or a range of them, with today's
 * aggregation and normalization: the live pipeline's topology, run here over a batch (Kafka
 * Streams' test driver executes it in this JVM on a state directory of its own), so the live
 * processor's state, offsets and topics are never touched and no upstream is called. Exchanges
 * still open at the end of the range are emitted INCOMPLETE, as the idle timeout would; chunks
 * whose request lies before the range are dropped.
 */
final class Rerender {

    /** Told after every poll: events read, offsets in the range, bytes read. */
    interface Progress {
        void update(long events, long total, long bytes);
    }

    /** What a re-render read and made; {@code failed}: exchanges the topology could not assemble (a bug, logged). */
    record Summary(long events, long bytes, long recordings, long incomplete, long failed) {}

    private Rerender() {}

    /**
     * @param consumer   reads the events topic with raw values, read committed; assigned here, commits nothing
     * @param recordings told each rebuilt recording with its key
     */
    static Summary run(
            Consumer<String, byte[]> consumer,
            String eventsTopic,
            TopicRange.Bound from,
            TopicRange.Bound until,
            SchemaRegistryClient registry,
            SettingValues settings,
            Path stateDir,
            BiConsumer<String, Recording> recordings,
            Progress progress) {
        ProcessorConfig config =
                ProcessorConfig.of(eventsTopic, "tapeline.rerendered", "tapeline.rerendered.dead-letters", settings);
        // the live processor's settings; the test driver reaches no broker
        Properties props = ProcessorRuntime.streamsProperties(
                config,
                "tapeline-rerender",
                Map.of(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "rerender.invalid:9092"),
                stateDir,
                1,
                0);
        Counts counts = new Counts();
        try (TopologyTestDriver driver =
                new TopologyTestDriver(RecordingTopology.build(config, registry), props, Instant.now())) {
            TestInputTopic<String, byte[]> events =
                    driver.createInputTopic(eventsTopic, new StringSerializer(), new ByteArraySerializer());
            TestOutputTopic<String, Recording> output = driver.createOutputTopic(
                    config.recordingsTopic(),
                    new StringDeserializer(),
                    ConfluentAvroSerde.<Recording>forValues(Recording.getClassSchema(), registry)
                            .deserializer());
            TestOutputTopic<String, byte[]> deadLetters = driver.createOutputTopic(
                    config.deadLettersTopic(),
                    new StringDeserializer(),
                    new org.apache.kafka.common.serialization.ByteArrayDeserializer());
            Runnable drain = () -> {
                output.readRecordsToList().forEach(record -> {
                    counts.recordings++;
                    if (record.value().getOutcome() == Outcome.INCOMPLETE) {
                        counts.incomplete++;
                    }
                    recordings.accept(record.key(), record.value());
                });
                // each was logged with its error by the processor
                counts.failed += deadLetters.readRecordsToList().size();
            };
            TopicRange.read(
                    consumer,
                    eventsTopic,
                    from,
                    until,
                    new TopicRange.Reader<>() {
                        @Override
                        public void accept(org.apache.kafka.clients.consumer.ConsumerRecord<String, byte[]> record) {
                            counts.events++;
                            counts.bytes += Math.max(0, record.serializedValueSize());
                            events.pipeInput(new TestRecord<>(
                                    record.key(),
                                    record.value(),
                                    record.headers(),
                                    Instant.ofEpochMilli(record.timestamp())));
                            drain.run();
                        }

                        @Override
                        public void polled(long total) {
                            progress.update(counts.events, total, counts.bytes);
                        }
                    },
                    Duration.ofSeconds(60));
            // the end of the range: what is still open is emitted as the idle timeout emits it
            driver.advanceWallClockTime(
                    config.idleTimeout().plus(config.purgeInterval()).plusSeconds(1));
            drain.run();
        }
        return new Summary(counts.events, counts.bytes, counts.recordings, counts.incomplete, counts.failed);
    }

    private static final class Counts {
        long events;
        long bytes;
        long recordings;
        long incomplete;
        long failed;
    }
}
