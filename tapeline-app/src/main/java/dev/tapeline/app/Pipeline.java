package dev.tapeline.app;

import dev.tapeline.agent.AgentMode;
import dev.tapeline.agent.capture.CapturingTap;
import dev.tapeline.agent.capture.KafkaEventPublisher;
import dev.tapeline.agent.proxy.CaptureProxy;
import dev.tapeline.agent.proxy.ExchangeInterceptor;
import dev.tapeline.agent.proxy.ExchangeRequest;
import dev.tapeline.agent.proxy.ExchangeTap;
import dev.tapeline.agent.replay.FixtureReplay;
import dev.tapeline.agent.replay.ReplayInterceptor;
import dev.tapeline.agent.replay.ReplayListener;
import dev.tapeline.agent.replay.ReplayLog;
import dev.tapeline.app.inspector.Inspector;
import dev.tapeline.otel.OtelExporter;
import dev.tapeline.processor.ProcessorConfig;
import dev.tapeline.processor.ProcessorRuntime;
import dev.tapeline.schema.CaptureEvent;
import dev.tapeline.schema.Limits;
import dev.tapeline.schema.Recording;
import dev.tapeline.schema.ReplayEvent;
import dev.tapeline.schema.registry.RegistryConfig;
import dev.tapeline.schema.registry.RestSchemaRegistryClient;
import dev.tapeline.schema.serde.ConfluentAvroSerde;
import dev.tapeline.sink.DeadLetters;
import dev.tapeline.sink.FixtureSink;
import dev.tapeline.sink.SinkConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Agent, processor and sink of one JVM, started in dependency order and stopped in reverse. */
public final class Pipeline implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);

    private final PipelineConfig config;
    private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private ProcessorRuntime processor;
    private KafkaStreamsMetrics streamsMetrics;
    private FixtureSink sink;
    private DeadLetters deadLetters;
    private Thread sinkThread;
    private KafkaEventPublisher publisher;
    private CaptureProxy proxy;
    private ReplayLog replayLog;
    private OtelExporter exporter;
    private Thread exporterThread;
    private KafkaProducer<String, ReplayEvent> replayEvents;
    /** For readiness: whether Kafka and the registry answer. */
    private Admin admin;

    private RestSchemaRegistryClient registryClient;

    /** How often Kafka and the registry are looked at while the pipeline runs. */
    static final Duration SURROUNDINGS_EVERY = Duration.ofSeconds(10);

    /** Says when Kafka or the registry stops answering; null where this JVM uses neither. */
    private SurroundingsWatch surroundings;

    /** What this JVM saw lately, for the inspector page. */
    private final Inspector inspector = new Inspector(Clock.systemUTC());

    /**
     * Whether this JVM's parts can do their work: Kafka and the registry answer, the processor
     * runs, the sink is in its group, the agent listens. Each check by name, {@code UP} or why not.
     */
    public record Readiness(boolean ready, Map<String, String> checks) {}

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
        KafkaCluster cluster = null;
        if (config.needsKafka()) {
            admin = KafkaCluster.connect(clientConfig(), config.bootstrapServers());
            cluster = KafkaCluster.describe(admin);
            config.topics().ensure(admin, cluster);
            registry = new RestSchemaRegistryClient(RegistryConfig.of(config.registryUrl()));
            registryClient = registry;
            surroundings = SurroundingsWatch.start(
                    List.of(
                            new SurroundingsWatch.Check(
                                    "Kafka at " + config.bootstrapServers() + " (--bootstrap-servers)",
                                    "capture events wait in the agent's journal, recordings and fixtures wait for it",
                                    this::kafkaProblem),
                            new SurroundingsWatch.Check(
                                    "the schema registry at " + config.registryUrl() + " (--schema-registry-url)",
                                    "capture events wait in the agent's journal and are sent once it answers",
                                    registry::unreachableBecause)),
                    SURROUNDINGS_EVERY);
        }

        if (components.contains(PipelineConfig.Component.PROCESSOR)) {
            ProcessorConfig processorConfig = ProcessorConfig.of(
                    config.topics().events(),
                    config.topics().recordings(),
                    config.topics().deadLetters(),
                    config.settings());
            processor = ProcessorRuntime.start(
                    processorConfig,
                    registry,
                    ProcessorRuntime.streamsProperties(
                            processorConfig,
                            config.applicationId(),
                            clientConfig(),
                            config.stateDir(),
                            config.topics().replicationFactor(),
                            standbyReplicas(cluster)));
            // Kafka Streams' own metrics, the processor's dead-letter count among them, on /metrics
            streamsMetrics = new KafkaStreamsMetrics(processor.streams());
            streamsMetrics.bindTo(metrics);
        }

        if (components.contains(PipelineConfig.Component.SINK)) {
            sink = new FixtureSink(
                    SinkConfig.of(
                            config.topics().recordings(),
                            config.applicationId() + "-sink",
                            config.fixtureRoot(),
                            config.layout(),
                            config.settings()),
                    clientConfig(),
                    ConfluentAvroSerde.<Recording>forValues(Recording.getClassSchema(), registry),
                    deadLetters = new DeadLetters(config.topics().deadLetters(), clientConfig()),
                    metrics,
                    written -> {
                        onFixture.accept(written);
                        inspector.fixture(written);
                    },
                    Clock.systemUTC());
            sink.onNotWritten(inspector::notWritten);
            sinkThread = new Thread(sink, "tapeline-sink");
            sinkThread.setUncaughtExceptionHandler((t, e) -> LOG.error("fixture sink stopped: {}", e.toString(), e));
            sinkThread.start();
        }

        if (components.contains(PipelineConfig.Component.EXPORTER)) {
            exporter = OtelExporter.create(
                    clientConfig(),
                    registry,
                    config.topics().recordings(),
                    OtelExporter.GROUP_ID,
                    config.settings(),
                    metrics);
            exporterThread = new Thread(exporter, "tapeline-otel");
            exporterThread.setUncaughtExceptionHandler(
                    (t, e) -> LOG.error("OpenTelemetry exporter stopped: {}", e.toString(), e));
            exporterThread.start();
        }

        if (components.contains(PipelineConfig.Component.AGENT)) {
            AgentMode mode = config.agent().mode();
            ExchangeTap tap = ExchangeTap.NONE;
            if (mode.captures()) {
                publisher = new KafkaEventPublisher(
                        config.topics().events(),
                        clientConfig(),
                        ConfluentAvroSerde.<CaptureEvent>forValues(CaptureEvent.getClassSchema(), registry),
                        config.journalDir(),
                        config.settings().get(KafkaEventPublisher.JOURNAL_MAX_MB) << 20,
                        KafkaEventPublisher.QUEUE_CAPACITY,
                        metrics);
                KafkaEventPublisher kafka = publisher;
                tap = new CapturingTap(
                        config.agent().agentId(),
                        event -> {
                            kafka.publish(event);
                            inspector.observe(event);
                        },
                        Clock.systemUTC(),
                        config.agent().redactedHeaders(),
                        Limits.MAX_RECORD_BYTES / 2);
            }
            ExchangeInterceptor interceptor = ExchangeInterceptor.NONE;
            if (mode.replays()) {
                ReplayLog log = startReplayLog(registry);
                interceptor = new ReplayInterceptor(
                        new FixtureReplay(config.fixtureRoot(), config.layout()), mode, metrics, new ReplayListener() {
                            @Override
                            public void hit(ExchangeRequest request, FixtureReplay.Hit hit) {
                                log.hit(request, hit);
                            }

                            @Override
                            public void miss(ExchangeRequest request, FixtureReplay.Miss miss) {
                                inspector.miss(request, miss);
                                log.miss(request, miss);
                            }
                        });
            }
            proxy = new CaptureProxy(config.agent(), tap, interceptor, metrics);
            // which agent this is, for dashboards over many: tapeline_agent_info{agent_id="host:port"} 1
            Gauge.builder("tapeline.agent.info", () -> 1)
                    .description("This agent; its id is in every capture event it publishes")
                    .tag("agent_id", config.agent().agentId())
                    .register(metrics);
            proxy.start().await(30, TimeUnit.SECONDS);
        }
        if (processor != null) {
            processor.awaitRunning(Duration.ofSeconds(60));
        }
    }

    /**
     * The replay events' log: a JSON-lines file under the data dir, and the replay events topic
     * where Kafka is configured ({@code registry} non-null).
     */
    private ReplayLog startReplayLog(RestSchemaRegistryClient registry) throws java.io.IOException {
        Consumer<ReplayEvent> toKafka = event -> {};
        if (config.replayEventsToKafka() && registry != null) {
            Map<String, Object> producerConfig = clientConfig();
            producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
            producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            producerConfig.put(ProducerConfig.LINGER_MS_CONFIG, 20);
            replayEvents = new KafkaProducer<>(
                    producerConfig,
                    new StringSerializer(),
                    ConfluentAvroSerde.<ReplayEvent>forValues(ReplayEvent.getClassSchema(), registry)
                            .serializer());
            KafkaProducer<String, ReplayEvent> producer = replayEvents;
            toKafka = event -> producer.send(
                    new ProducerRecord<>(Topics.REPLAY_EVENTS, event.getRunId(), event), (metadata, error) -> {
                        if (error != null) {
                            LOG.warn("replay event not sent to {}: {}", Topics.REPLAY_EVENTS, error.toString());
                        }
                    });
        }
        replayLog = new ReplayLog(
                config.settings().get(ReplayLog.RUN_ID),
                config.settings().get(ReplayLog.SHARD),
                config.agent().agentId(),
                config.replayEventsDir(),
                config.fixtureRoot(),
                toKafka,
                Clock.systemUTC());
        LOG.info(
                "replay run {}: replay events go to {}{}",
                replayLog.runId(),
                replayLog.file(),
                replayEvents == null ? "" : " and the topic " + Topics.REPLAY_EVENTS);
        return replayLog;
    }

    /** The run a replaying agent serves, or null where this JVM replays nothing. */
    public ReplayLog replayLog() {
        return replayLog;
    }

    /** The processor's standby replicas: as set, or one where the cluster has brokers enough for a copy elsewhere. */
    private int standbyReplicas(KafkaCluster cluster) {
        long set = config.settings().get(ProcessorConfig.STANDBY_REPLICAS);
        return set >= 0 ? (int) set : cluster.defaultStandbyReplicas();
    }

    private Map<String, Object> clientConfig() {
        Map<String, Object> client = new HashMap<>(config.kafkaClientConfig());
        client.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        return client;
    }

    /** The port clients talk to, or -1 where this JVM runs no agent. */
    public int agentPort() {
        return proxy == null ? -1 : proxy.port();
    }

    /** Each part's state now (asks Kafka and the registry, a few seconds at most). */
    public Readiness readiness() {
        Map<String, String> checks = new LinkedHashMap<>();
        if (admin != null) {
            String kafka = kafkaProblem();
            checks.put("kafka", kafka == null ? "UP" : "DOWN: " + kafka);
            checks.put(
                    "registry",
                    registryClient.reachable() ? "UP" : "DOWN: " + config.registryUrl() + " does not answer");
        }
        if (processor != null) {
            KafkaStreams.State state = processor.streams().state();
            checks.put("processor", state == KafkaStreams.State.RUNNING ? "UP" : "DOWN: " + state);
        }
        if (sink != null) {
            String problem = sink.problem();
            checks.put(
                    "sink",
                    problem != null ? "DOWN: " + problem : sink.ready() ? "UP" : "DOWN: not in its consumer group yet");
        }
        if (proxy != null) {
            checks.put("agent", "UP");
        }
        if (exporter != null) {
            String problem = exporter.endpointProblem();
            checks.put("exporter", problem == null ? "UP" : "DOWN: " + problem);
        }
        return new Readiness(checks.values().stream().allMatch("UP"::equals), checks);
    }

    /** Null when Kafka answers (within a few seconds), else why not. */
    private String kafkaProblem() {
        try {
            admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
            return null;
        } catch (ExecutionException e) {
            return e.getCause().toString();
        } catch (TimeoutException e) {
            return "no answer within 5 s";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /** What this JVM captured and missed lately. */
    public Inspector inspector() {
        return inspector;
    }

    /** The metrics in Prometheus text format. */
    public String scrapeMetrics() {
        return metrics.scrape();
    }

    /** Stops accepting traffic, publishes what is queued, then stops processor and sink. */
    @Override
    public void close() {
        if (surroundings != null) {
            surroundings.close();
        }
        if (proxy != null) {
            proxy.close();
        }
        if (replayLog != null) {
            replayLog.close();
        }
        if (replayEvents != null) {
            replayEvents.close(Duration.ofSeconds(10));
        }
        if (publisher != null) {
            publisher.close();
        }
        if (exporter != null) {
            exporter.close();
            try {
                exporterThread.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (streamsMetrics != null) {
            streamsMetrics.close();
        }
        if (processor != null) {
            processor.close();
        }
        if (sink != null) {
            sink.close();
        }
        if (deadLetters != null) {
            deadLetters.close();
        }
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
        }
    }
}
