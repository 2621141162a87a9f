package dev.tapeline.otel;

import dev.tapeline.fixture.FixtureLayout;
import dev.tapeline.fixture.FixtureProfile;
import dev.tapeline.fixture.FixtureRequest;
import dev.tapeline.fixture.HashRules;
import dev.tapeline.fixture.UnrenderableException;
import dev.tapeline.fixture.path.FixtureRepository;
import dev.tapeline.fixture.shape.FixtureKeys;
import dev.tapeline.schema.Recording;
import dev.tapeline.settings.LastingProblem;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongHistogram;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A consumer group on the recordings topic that sends every exchange as one GenAI span, and the
 * GenAI client metrics, over OTLP. At least once: a batch's offsets are committed only after the
 * endpoint took its spans; while it does not, the partitions are paused (nothing more is read),
 * the batch is sent again (after 1 s, doubling to 30 s), and readiness says why. A span sent twice
 * (a rebalance, a restart before the commit) carries the same ids: the same span to the backend.
 * Metrics are recorded once a batch's spans are taken.
 */
public final class OtelExporter implements Runnable, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(OtelExporter.class);
    private static final Duration RETRY_FIRST = Duration.ofSeconds(1);
    private static final Duration RETRY_MAX = Duration.ofSeconds(30);

    private final Consumer<String, Recording> consumer;
    private final String topic;
    private final SpanExporter spans;
    private final SdkMeterProvider meters;
    private final boolean captureContent;
    private final Resource resource;
    private final FixtureRepository repository = new FixtureRepository(FixtureLayout.current());
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final LastingProblem endpoint;
    private final Clock clock;
    private final Counter exported;
    private final Counter failures;
    private final DoubleHistogram duration;
    private final LongHistogram tokens;
    private final DoubleHistogram timeToFirstChunk;
    private final DoubleHistogram timePerChunk;
    private volatile boolean revoked;
    /** Why the endpoint does not take spans, for readiness (read by other threads); null while it does. */
    private volatile String problem;

    /**
     * @param consumer       a consumer of the recordings topic (its group, no auto commit)
     * @param spans          where spans go (an OTLP exporter)
     * @param metrics        where the GenAI metrics go (an OTLP exporter), every {@code metricInterval}
     * @param registry       this service's own metrics
     */
    public OtelExporter(
            Consumer<String, Recording> consumer,
            String topic,
            SpanExporter spans,
            MetricExporter metrics,
            Duration metricInterval,
            boolean captureContent,
            MeterRegistry registry,
            Clock clock) {
        this.consumer = consumer;
        this.topic = topic;
        this.spans = spans;
        this.captureContent = captureContent;
        this.clock = clock;
        this.resource = Resource.getDefault()
                .merge(Resource.create(
                        Attributes.of(AttributeKey.stringKey("service.name"), "tapeline-otel-exporter")));
        this.meters = SdkMeterProvider.builder()
                .setResource(resource)
                .registerMetricReader(PeriodicMetricReader.builder(metrics)
                        .setInterval(metricInterval)
                        .build())
                .build();
        Meter meter = meters.get("dev.tapeline.otel");
        this.duration = meter.histogramBuilder("gen_ai.client.operation.duration")
                .setUnit("s")
                .setDescription("GenAI operation duration")
                .setExplicitBucketBoundariesAdvice(
                        List.of(0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92))
                .build();
        this.tokens = meter.histogramBuilder("gen_ai.client.token.usage")
                .ofLongs()
                .setUnit("{token}")
                .setDescription("Measures number of input and output tokens used")
                .setExplicitBucketBoundariesAdvice(List.of(
                        1L, 4L, 16L, 64L, 256L, 1024L, 4096L, 16384L, 65536L, 262144L, 1048576L, 4194304L, 16777216L,
                        67108864L))
                .build();
        this.timeToFirstChunk = meter.histogramBuilder("gen_ai.client.operation.time_to_first_chunk")
                .setUnit("s")
                .setDescription("Time from the request to the first chunk of a streamed answer")
                .build();
        this.timePerChunk = meter.histogramBuilder("gen_ai.client.operation.time_per_output_chunk")
                .setUnit("s")
                .setDescription("Time between consecutive chunks of a streamed answer")
                .build();
        this.endpoint = new LastingProblem();
        this.exported = Counter.builder("tapeline.exporter.spans")
                .description("Spans the OTLP endpoint took")
                .register(registry);
        this.failures = Counter.builder("tapeline.exporter.export.failures")
                .description("Batches the OTLP endpoint did not take (each sent again)")
                .register(registry);
        Gauge.builder("tapeline.exporter.endpoint.up", this, exporter -> exporter.problem == null ? 1 : 0)
                .description("1 while the OTLP endpoint takes spans")
                .register(registry);
        new io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics(consumer).bindTo(registry);
    }

    /** The consumer group every exporter joins unless told otherwise. */
    public static final String GROUP_ID = "tapeline-otel";

    /**
     * An exporter of {@code topic} as the settings say, in consumer group {@code groupId}, on a
     * Kafka cluster ({@code kafkaClientConfig}: bootstrap servers and security) and registry.
     *
     * @throws IllegalArgumentException naming a setting that is wrong
     */
    public static OtelExporter create(
            Map<String, Object> kafkaClientConfig,
            dev.tapeline.schema.registry.SchemaRegistryClient registry,
            String topic,
            String groupId,
            dev.tapeline.settings.SettingValues settings,
            MeterRegistry metrics) {
        OtlpEndpoint endpoint = OtelSettings.endpoint(settings);
        Map<String, Object> config = new HashMap<>(kafkaClientConfig);
        config.put(org.apache.kafka.clients.consumer.ConsumerConfig.GROUP_ID_CONFIG, groupId);
        config.put(org.apache.kafka.clients.consumer.ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(org.apache.kafka.clients.consumer.ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(org.apache.kafka.clients.consumer.ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(
                org.apache.kafka.clients.consumer.ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG,
                dev.tapeline.schema.Limits.MAX_RECORD_BYTES);
        config.put(org.apache.kafka.clients.consumer.ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 200);
        return new OtelExporter(
                new org.apache.kafka.clients.consumer.KafkaConsumer<>(
                        config,
                        new org.apache.kafka.common.serialization.StringDeserializer(),
                        dev.tapeline.schema.serde.ConfluentAvroSerde.<Recording>forValues(
                                Recording.getClassSchema(), registry)),
                topic,
                endpoint.spanExporter(),
                endpoint.metricExporter(),
                settings.get(OtelSettings.METRIC_INTERVAL),
                settings.get(OtelSettings.CAPTURE_CONTENT),
                metrics,
                Clock.systemUTC());
    }

    /** Why the endpoint does not take spans now, or null. */
    public String endpointProblem() {
        return problem;
    }

    @Override
    public void run() {
        consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                revoked = true;
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                // positions start at the committed offsets
            }
        });
        try {
            while (running.get()) {
                revoked = false;
                ConsumerRecords<String, Recording> records = consumer.poll(Duration.ofMillis(200));
                if (!records.isEmpty()) {
                    deliver(records);
                }
            }
        } catch (org.apache.kafka.common.errors.WakeupException e) {
            if (running.get()) {
                throw e;
            }
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /** Sends the batch until the endpoint takes it (or its partitions go elsewhere), then commits it. */
    private void deliver(ConsumerRecords<String, Recording> records) {
        List<SpanData> batch = new ArrayList<>();
        List<Map.Entry<Recording, ExchangeFacts>> measured = new ArrayList<>();
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (ConsumerRecord<String, Recording> record : records) {
            offsets.put(
                    new TopicPartition(record.topic(), record.partition()), new OffsetAndMetadata(record.offset() + 1));
            Recording recording = record.value();
            if (recording == null || recording.getSource() != null) {
                continue; // a tombstone, or a fixture imported from files: no traffic was seen
            }
            ExchangeFacts facts = ExchangeFacts.of(recording);
            batch.add(GenAiSpans.span(recording, facts, fixturePath(recording), captureContent, resource));
            measured.add(Map.entry(recording, facts));
        }
        Duration wait = RETRY_FIRST;
        boolean paused = false;
        while (running.get()) {
            CompletableResultCode result = spans.export(batch).join(30, TimeUnit.SECONDS);
            if (result.isSuccess()) {
                problem = null;
                Duration lasted = endpoint.over(clock.instant());
                if (lasted != null) {
                    LOG.info("the OTLP endpoint takes spans again after {}; {} spans sent", lasted, batch.size());
                }
                break;
            }
            failures.increment();
            String why = result.getFailureThrowable() == null
                    ? (result.isDone() ? "refused" : "no answer in 30 s")
                    : result.getFailureThrowable().toString();
            problem = "OTLP endpoint not taking spans: " + why;
            if (endpoint.met(clock.instant(), why)) {
                LOG.warn(
                        "the OTLP endpoint does not take spans ({}); {} exchanges wait, nothing more is read,"
                                + " sent again every {} at most",
                        why,
                        batch.size(),
                        RETRY_MAX);
            }
            if (!paused) {
                consumer.pause(consumer.assignment());
                paused = true;
            }
            long until = System.nanoTime() + wait.toNanos();
            while (running.get() && System.nanoTime() < until) {
                consumer.poll(Duration.ofMillis(100)); // paused: keeps the group membership, reads nothing
                if (revoked) {
                    LOG.info(
                            "partitions moved while the endpoint was away: {} spans left to their next owner",
                            batch.size());
                    consumer.resume(consumer.assignment());
                    return;
                }
            }
            wait = wait.multipliedBy(2).compareTo(RETRY_MAX) > 0 ? RETRY_MAX : wait.multipliedBy(2);
        }
        if (paused) {
            consumer.resume(consumer.assignment());
        }
        if (!running.get()) {
            return;
        }
        exported.increment(batch.size());
        measured.forEach(entry -> measure(entry.getKey(), entry.getValue()));
        consumer.commitSync(offsets);
    }

    /**
     * The fixture the exchange makes (by the current layout and hash rules), from the request
     * alone; null for a model list (its name holds a digest of the answer) or a request that names
     * no fixture.
     */
    private String fixturePath(Recording recording) {
        FixtureRequest request = FixtureRequest.of(recording);
        if (request.kind().isModelList()) {
            return null;
        }
        try {
            String hash = FixtureKeys.requestHash(request, FixtureProfile.CURRENT, HashRules.CURRENT);
            return repository.fixturePath(hash, request.kind(), request.testId(), List.of());
        } catch (UnrenderableException | dev.tapeline.fixture.python.PyJson.InvalidJsonException e) {
            return null; // a body that is not JSON, a test id that names no directory
        }
    }

    private void measure(Recording recording, ExchangeFacts facts) {
        AttributesBuilder common = Attributes.builder()
                .put("gen_ai.operation.name", facts.operation())
                .put("gen_ai.provider.name", facts.provider());
        if (facts.requestModel() != null) {
            common.put("gen_ai.request.model", facts.requestModel());
        }
        if (facts.responseModel() != null) {
            common.put("gen_ai.response.model", facts.responseModel());
        }
        Attributes withoutError = common.build();
        if (facts.errorType() != null) {
            common.put("error.type", facts.errorType());
        }
        duration.record(recording.getDurationNanos() / 1e9, common.build());
        if (facts.inputTokens() >= 0) {
            tokens.record(
                    facts.inputTokens(),
                    withoutError.toBuilder().put("gen_ai.token.type", "input").build());
        }
        if (facts.outputTokens() >= 0) {
            tokens.record(
                    facts.outputTokens(),
                    withoutError.toBuilder().put("gen_ai.token.type", "output").build());
        }
        List<Long> offsets = facts.chunkOffsetsNanos();
        if (facts.streamed() && !offsets.isEmpty()) {
            timeToFirstChunk.record(offsets.get(0) / 1e9, withoutError);
            for (int i = 1; i < offsets.size(); i++) {
                timePerChunk.record((offsets.get(i) - offsets.get(i - 1)) / 1e9, withoutError);
            }
        }
    }

    /** Stops reading; the batch in hand is left uncommitted unless sent. */
    @Override
    public void close() {
        running.set(false);
        consumer.wakeup();
        meters.close();
        spans.shutdown().join(10, TimeUnit.SECONDS);
    }
}
