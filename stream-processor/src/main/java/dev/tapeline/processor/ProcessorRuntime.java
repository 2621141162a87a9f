package dev.tapeline.processor;

import dev.tapeline.schema.Limits;
import dev.tapeline.schema.registry.SchemaRegistryClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the stream processor runs: the Kafka Streams settings of the recording topology, which the
 * live pipeline, a re-render, the benchmark and the tests all use, and the running instance.
 */
public final class ProcessorRuntime implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ProcessorRuntime.class);

    /** How often the processor commits: the bound on how long a finished exchange waits to be emitted. */
    public static final Duration COMMIT_INTERVAL = Duration.ofMillis(100);

    private final KafkaStreams streams;

    private ProcessorRuntime(KafkaStreams streams) {
        this.streams = streams;
    }

    /**
     * The topology's settings: exactly once; records up to {@link Limits#MAX_RECORD_BYTES}, lz4;
     * an undecodable record to the dead-letter topic (the error in its headers), never a crash loop.
     *
     * @param clientConfig      settings for every Kafka client (bootstrap servers, security)
     * @param replicationFactor replicas of the internal topics (changelogs, repartitions); -1: the brokers' default
     * @param standbyReplicas   warm copies of each task's state on other instances
     */
    public static Properties streamsProperties(
            ProcessorConfig config,
            String applicationId,
            Map<String, Object> clientConfig,
            Path stateDir,
            int replicationFactor,
            int standbyReplicas) {
        Properties props = new Properties();
        props.putAll(clientConfig);
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toAbsolutePath().toString());
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, (int) COMMIT_INTERVAL.toMillis());
        props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, replicationFactor);
        props.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, standbyReplicas);
        props.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), Limits.MAX_RECORD_BYTES);
        props.put(StreamsConfig.producerPrefix(ProducerConfig.BUFFER_MEMORY_CONFIG), 2L * Limits.MAX_RECORD_BYTES);
        props.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "lz4");
        props.put(StreamsConfig.topicPrefix("max.message.bytes"), String.valueOf(Limits.MAX_RECORD_BYTES));
        props.put(
                StreamsConfig.consumerPrefix(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG), Limits.MAX_RECORD_BYTES);
        props.put("processing.exception.handler.global.enabled", true);
        props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueExceptionHandler.class);
        props.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, config.deadLettersTopic());
        return props;
    }

    /** Starts the topology; a failed stream thread is replaced, never left dead. */
    public static ProcessorRuntime start(
            ProcessorConfig config, SchemaRegistryClient registry, Properties streamsProperties) {
        KafkaStreams streams = new KafkaStreams(RecordingTopology.build(config, registry), streamsProperties);
        streams.setUncaughtExceptionHandler(e -> {
            LOG.error("stream processor failed; replacing its thread", e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        streams.start();
        return new ProcessorRuntime(streams);
    }

    public KafkaStreams streams() {
        return streams;
    }

    /** Waits until the processor runs. */
    public void awaitRunning(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (streams.state() != KafkaStreams.State.RUNNING) {
            if (System.nanoTime() > deadline || streams.state() == KafkaStreams.State.ERROR) {
                throw new IllegalStateException(
                        "stream processor not running after " + timeout + ": " + streams.state());
            }
            Thread.sleep(50);
        }
    }

    /**
     * Stops, leaving the group, so a restarted processor gets its tasks at once instead of after the
     * old member's session timeout.
     */
    @Override
    public void close() {
        streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(Duration.ofSeconds(30)));
    }
}
