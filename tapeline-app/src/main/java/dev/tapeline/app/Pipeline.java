package dev.tapeline.app;

import dev.tapeline.agent.AgentMode;
import dev.tapeline.agent.proxy.CaptureProxy;
import dev.tapeline.agent.capture.CapturingTap;
import dev.tapeline.agent.proxy.ExchangeTap;
import dev.tapeline.agent.proxy.ExchangeInterceptor;
import dev.tapeline.agent.replay.FixtureReplay;
import dev.tapeline.agent.replay.ReplayInterceptor;
import dev.tapeline.agent.capture.KafkaEventPublisher;
import dev.tapeline.processor.ProcessorConfig;
import dev.tapeline.processor.RecordingTopology;
import dev.tapeline.schema.CaptureEvent;
import dev.tapeline.schema.Recording;
import dev.tapeline.schema.registry.RegistryConfig;
import dev.tapeline.schema.registry.RestSchemaRegistryClient;
import dev.tapeline.schema.serde.ConfluentAvroSerde;
import dev.tapeline.sink.DeadLetters;
import dev.tapeline.sink.FixtureSink;
import dev.tapeline.sink.SinkConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Agent, processor and sink of one JVM, started in dependency order and stopped in reverse. */
public final class Pipeline implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);

    private final PipelineConfig config;
    private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private KafkaStreams streams;
    private io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics streamsMetrics;
    private FixtureSink sink;
    private DeadLetters deadLetters;
    private Thread sinkThread;
    private KafkaEventPublisher publisher;
    private CaptureProxy proxy;

    private Pipeline(PipelineConfig config) {
        this.config = config;
    }

    /**
     * Creates the topics if needed, then starts the configured components (processor, sink,
     * agent); returns once the agent listens and the processor runs.
     *
     * @param onFixture told of every fixture the sink writes (or finds unchanged)
     */
    public static Pipeline start(PipelineConfig config, Consumer<FixtureSink.Written> onFixture) throws Exception {
        Pipeline pipeline = new Pipeline(config);
        try {
            pipeline.startAll(onFixture);
        } catch (Exception | Error e) {
            pipeline.close();
            throw e;
        }
        return pipeline;
    }

    private void startAll(Consumer<FixtureSink.Written> onFixture) throws Exception {
        Set<PipelineConfig.Component> components = config.components();
        RestSchemaRegistryClient registry = null;
        if (config.needsKafka()) {
            try (Admin admin = Admin.create(clientConfig())) {
                config.topics().ensure(admin);
            }
            registry = new RestSchemaRegistryClient(RegistryConfig.of(config.registryUrl()));
        }

        if (components.contains(PipelineConfig.Component.PROCESSOR)) {
            streams = new KafkaStreams(RecordingTopology.build(
                    processorConfig(config.topics().events(), config.topics().recordings(), config.topics().deadLetters(),
                            config.idleTimeout()),
                    registry),
                    streamsProperties());
            // Kafka Streams' own metrics, the processor's dead-letter count among them, on /metrics
            streamsMetrics = new io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics(streams);
            streamsMetrics.bindTo(metrics);
            streams.setUncaughtExceptionHandler(e -> {
                LOG.error("stream processor failed; replacing its thread", e);
                return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
            });
            streams.start();
        }

        if (components.contains(PipelineConfig.Component.SINK)) {
            Map<String, Object> consumer = clientConfig();
            consumer.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.MAX_MESSAGE_BYTES);
            sink = new FixtureSink(new SinkConfig(config.topics().recordings(), config.applicationId() + "-sink",
                    config.fixtureRoot(), config.layout(), Duration.ofMillis(100), config.writeIncomplete()),
                    consumer, ConfluentAvroSerde.<Recording>forValues(Recording.getClassSchema(), registry),
                    deadLetters = new DeadLetters(config.topics().deadLetters(), clientConfig()), metrics, onFixture);
            sinkThread = new Thread(sink, "tapeline-sink");
            sinkThread.setUncaughtExceptionHandler((t, e) -> LOG.error("fixture sink stopped: {}", e.toString(), e));
            sinkThread.start();
        }

        if (components.contains(PipelineConfig.Component.AGENT)) {
            AgentMode mode = config.agent().mode();
            ExchangeTap tap = ExchangeTap.NONE;
            if (mode.captures()) {
                Map<String, Object> producer = clientConfig();
                // a request body of up to 64 MB travels in one event; the buffer must hold the largest record
                producer.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MAX_MESSAGE_BYTES);
                producer.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 2L * Topics.MAX_MESSAGE_BYTES);
                publisher = new KafkaEventPublisher(config.topics().events(), producer,
                        ConfluentAvroSerde.<CaptureEvent>forValues(CaptureEvent.getClassSchema(), registry),
                        config.journalDir(), config.journalMaxBytes(), 100_000, metrics);
                tap = new CapturingTap(config.agent().agentId(), publisher, Clock.systemUTC(),
                        config.agent().redactedHeaders(), Topics.MAX_MESSAGE_BYTES / 2);
            }
            ExchangeInterceptor interceptor = mode.replays() ? new ReplayInterceptor(
                    new FixtureReplay(config.fixtureRoot(), config.layout()), mode, metrics) : ExchangeInterceptor.NONE;
            proxy = new CaptureProxy(config.agent(), tap, interceptor, metrics);
            proxy.start().await(30, TimeUnit.SECONDS);
        }
        if (streams != null) {
            awaitRunning(Duration.ofSeconds(60));
        }
    }

    /**
     * The stream processor's settings: the live pipeline's, and those a re-render or a benchmark
     * runs the same topology with (emitted exchanges remembered an hour, swept every minute).
     */
    public static ProcessorConfig processorConfig(String eventsTopic, String recordingsTopic, String deadLettersTopic,
            Duration idleTimeout) {
        return new ProcessorConfig(eventsTopic, recordingsTopic, deadLettersTopic, dev.tapeline.fixture.FixtureProfile.CURRENT,
                Duration.ofHours(1), Duration.ofMinutes(1), idleTimeout, Topics.MAX_MESSAGE_BYTES);
    }

    private Map<String, Object> clientConfig() {
        Map<String, Object> client = new HashMap<>(config.kafkaClientConfig());
        client.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        return client;
    }

    private Properties streamsProperties() {
        Properties props = new Properties();
        props.putAll(clientConfig());
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, config.applicationId());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.STATE_DIR_CONFIG, config.stateDir().toAbsolutePath().toString());
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) config.topics().replicationFactor());
        props.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), Topics.MAX_MESSAGE_BYTES);
        props.put(StreamsConfig.producerPrefix(ProducerConfig.BUFFER_MEMORY_CONFIG), 2L * Topics.MAX_MESSAGE_BYTES);
        props.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "lz4");
        props.put(StreamsConfig.topicPrefix("max.message.bytes"), String.valueOf(Topics.MAX_MESSAGE_BYTES));
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG), Topics.MAX_MESSAGE_BYTES);
        props.put("processing.exception.handler.global.enabled", true);
        // an undecodable record goes to the dead-letter topic (the error in its headers), never a crash loop
        props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
                org.apache.kafka.streams.errors.LogAndContinueExceptionHandler.class);
        props.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, config.topics().deadLetters());
        return props;
    }

    private void awaitRunning(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (streams.state() != KafkaStreams.State.RUNNING) {
            if (System.nanoTime() > deadline || streams.state() == KafkaStreams.State.ERROR) {
                throw new IllegalStateException("stream processor not running after " + timeout + ": " + streams.state());
            }
            Thread.sleep(50);
        }
    }

    /** The port clients talk to, or -1 where this JVM runs no agent. */
    public int agentPort() {
        return proxy == null ? -1 : proxy.port();
    }

    /** The metrics in Prometheus text format. */
    public String scrapeMetrics() {
        return metrics.scrape();
    }

    /** Stops accepting traffic, publishes what is queued, then stops processor and sink. */
    @Override
    public void close() {
        if (proxy != null) {
            proxy.close();
        }
        if (publisher != null) {
            publisher.close();
        }
        if (streamsMetrics != null) {
            streamsMetrics.close();
        }
        if (streams != null) {
            // leave the group, so a restarted processor gets its tasks at once instead of after
            // the old member's session timeout
            streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                    .withTimeout(Duration.ofSeconds(30)));
        }
        if (sink != null) {
            sink.close();
        }
        if (deadLetters != null) {
            deadLetters.close();
        }
    }
}
