package dev.tapeline.bench;

import dev.tapeline.app.EmbeddedKafka;
import dev.tapeline.processor.ProcessorConfig;
import dev.tapeline.processor.ProcessorRuntime;
import dev.tapeline.processor.RecordingTopology;
import dev.tapeline.schema.CaptureEvent;
import dev.tapeline.schema.ChunkReceived;
import dev.tapeline.schema.ExchangeCompleted;
import dev.tapeline.schema.Framing;
import dev.tapeline.schema.RequestStarted;
import dev.tapeline.schema.ResponseStarted;
import dev.tapeline.schema.registry.InMemorySchemaRegistry;
import dev.tapeline.schema.registry.SchemaRegistryClient;
import dev.tapeline.schema.serde.ConfluentAvroSerde;
import dev.tapeline.settings.SettingValues;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.Stores;

/**
 * The stream processor's throughput: the recording topology with exactly-once over a prepared
 * topic of capture events, against a bare Kafka Streams {@code count()} per completion id over the
 * same events, also exactly-once, on the same in-JVM broker in the same run.
 */
final class PipelineBench {

    /** One run: events processed per second, from RUNNING to every offset committed. */
    record Run(String name, int chunksPerStream, long exchanges, long events, double seconds) {
        double eventsPerSecond() {
            return events / seconds;
        }
    }

    private static final int PARTITIONS = 3;

    static final String BARE = "bare count()";
    static final String TOPOLOGY = "recording topology";
    static final String TOPOLOGY_1S = "recording topology, commit every 1 s";
    static final String IN_MEMORY = "recording topology, chunk store in memory without changelog (experiment)";
    /** The processor's commit interval. */
    private static final Duration COMMIT = ProcessorRuntime.COMMIT_INTERVAL;

    private PipelineBench() {}

    static List<Run> run(Path work, long totalChunks) throws Exception {
        InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
        try (EmbeddedKafka kafka = EmbeddedKafka.start(work.resolve("kafka"), 0, 0)) {
            String shortTopic = fill(kafka, registry, "bench.events.20", 20, totalChunks);
            String longTopic = fill(kafka, registry, "bench.events.1400", 1400, totalChunks);
            long shortExchanges = totalChunks / 20;
            long longExchanges = totalChunks / 1400;
            return List.of(
                    measure(kafka, work, BARE, 20, shortExchanges, shortTopic, count(shortTopic), COMMIT),
                    measure(
                            kafka,
                            work,
                            TOPOLOGY,
                            20,
                            shortExchanges,
                            shortTopic,
                            topology(shortTopic, registry),
                            COMMIT),
                    measure(
                            kafka,
                            work,
                            TOPOLOGY_1S,
                            20,
                            shortExchanges,
                            shortTopic,
                            topology(shortTopic, registry),
                            Duration.ofSeconds(1)),
                    measure(
                            kafka,
                            work,
                            IN_MEMORY,
                            20,
                            shortExchanges,
                            shortTopic,
                            RecordingTopology.build(
                                    processorConfig(shortTopic),
                                    registry,
                                    Stores.inMemoryKeyValueStore(ProcessorConfig.CHUNK_STORE),
                                    false),
                            COMMIT),
                    measure(
                            kafka,
                            work,
                            TOPOLOGY,
                            1400,
                            longExchanges,
                            longTopic,
                            topology(longTopic, registry),
                            COMMIT),
                    measure(kafka, work, BARE, 1400, longExchanges, longTopic, count(longTopic), COMMIT));
        }
    }

    /** Writes exchanges of {@code chunks} chunks each (request, response, chunks, outcome) until {@code totalChunks}. */
    private static String fill(
            EmbeddedKafka kafka, InMemorySchemaRegistry registry, String topic, int chunks, long totalChunks)
            throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            // the outputs too: Streams does not create its sink topics, and this broker creates none on its own
            admin.createTopics(List.of(
                            new NewTopic(topic, PARTITIONS, (short) 1),
                            new NewTopic(topic + ".recordings", PARTITIONS, (short) 1)
                                    .configs(Map.of("max.message.bytes", String.valueOf(128 << 20))),
                            new NewTopic(topic + ".counts", PARTITIONS, (short) 1)))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        }
        return fill(kafka.bootstrapServers(), registry, topic, chunks, totalChunks);
    }

    /**
     * Writes exchanges of {@code chunks} chunks each (request, response, chunks, outcome) until
     * {@code totalChunks} to an existing topic, once every partition has its leader.
     */
    static String fill(String bootstrap, SchemaRegistryClient registry, String topic, int chunks, long totalChunks)
            throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            // produce only once every partition has its leader: a fresh topic's first sends can be refused
            while (admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().stream()
                    .anyMatch(p -> p.leader() == null)) {
                Thread.sleep(50);
            }
        }
        ConfluentAvroSerde<CaptureEvent> serde = ConfluentAvroSerde.forValues(CaptureEvent.getClassSchema(), registry);
        Map<String, Object> config = Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ProducerConfig.ACKS_CONFIG,
                "all",
                ProducerConfig.LINGER_MS_CONFIG,
                10,
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                false,
                ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION,
                1,
                ProducerConfig.BATCH_SIZE_CONFIG,
                256 * 1024,
                ProducerConfig.COMPRESSION_TYPE_CONFIG,
                "lz4");
        byte[] body = "{\"model\":\"bench\",\"messages\":[{\"role\":\"user\",\"content\":\"go\"}],\"stream\":true}"
                .getBytes(StandardCharsets.UTF_8);
        Instant now = Instant.now();
        AtomicReference<Exception> failed = new AtomicReference<>();
        try (KafkaProducer<String, CaptureEvent> producer =
                new KafkaProducer<>(config, new StringSerializer(), serde.serializer())) {
            for (long exchange = 0; exchange < totalChunks / chunks; exchange++) {
                String id = "bench-" + chunks + "-" + exchange;
                send(
                        producer,
                        failed,
                        topic,
                        id,
                        now,
                        RequestStarted.newBuilder()
                                .setRoute("bench")
                                .setMethod("POST")
                                .setPath("/v1/chat/completions")
                                .setEndpoint("/v1/chat/completions")
                                .setRecordedUrl("http://localhost:8000/v1/v1/chat/completions")
                                .setUpstreamUrl("http://upstream/v1/chat/completions")
                                .setHeaders(List.of())
                                .setBody(ByteBuffer.wrap(body))
                                .setTestId("tests/integration/bench/test_pipeline.py::test_" + id)
                                .build());
                send(
                        producer,
                        failed,
                        topic,
                        id,
                        now,
                        ResponseStarted.newBuilder()
                                .setStatus(200)
                                .setHeaders(List.of())
                                .setFraming(Framing.SSE)
                                .setOffsetNanos(1_000)
                                .build());
                for (int i = 0; i < chunks; i++) {
                    send(
                            producer,
                            failed,
                            topic,
                            id,
                            now,
                            new ChunkReceived(
                                    (long) i,
                                    1_000L * i,
                                    null,
                                    ByteBuffer.wrap(("{\"id\":\"chatcmpl-" + id
                                                    + "\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":"
                                                    + "\"bench\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" token"
                                                    + i
                                                    + "\"},\"finish_reason\":null}]}")
                                            .getBytes(StandardCharsets.UTF_8))));
                }
                send(
                        producer,
                        failed,
                        topic,
                        id,
                        now,
                        ExchangeCompleted.newBuilder()
                                .setChunkCount(chunks)
                                .setBodyBytes(0)
                                .setDurationNanos(1_000_000)
                                .build());
            }
            producer.flush();
        }
        if (failed.get() != null) {
            throw new IllegalStateException("the benchmark's events were not all written", failed.get());
        }
        return topic;
    }

    private static void send(
            KafkaProducer<String, CaptureEvent> producer,
            AtomicReference<Exception> failed,
            String topic,
            String id,
            Instant at,
            Object payload) {
        producer.send(
                new ProducerRecord<>(topic, id, new CaptureEvent(id, "bench", at, payload)), (metadata, error) -> {
                    if (error != null) {
                        failed.compareAndSet(null, error);
                    }
                });
    }

    private static Topology topology(String topic, InMemorySchemaRegistry registry) {
        return RecordingTopology.build(processorConfig(topic), registry);
    }

    private static ProcessorConfig processorConfig(String topic) {
        return ProcessorConfig.of(topic, topic + ".recordings", topic + ".dead-letters", SettingValues.DEFAULTS);
    }

    /** What any aggregation costs at least: one counter per completion id, exactly once. */
    private static Topology count(String topic) {
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(topic, Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("bench-count-source"))
                .groupByKey()
                .count(Materialized.as("bench-count-store"))
                .toStream()
                .to(
                        topic + ".counts",
                        Produced.with(Serdes.String(), Serdes.Long()).withName("bench-count-sink"));
        return builder.build();
    }

    private static Run measure(
            EmbeddedKafka kafka,
            Path work,
            String name,
            int chunks,
            long exchanges,
            String topic,
            Topology topology,
            Duration commitInterval)
            throws Exception {
        String app = "bench-" + name.replaceAll("[^a-z0-9]", "") + "-" + chunks + "-" + System.nanoTime();
        // the processor's own settings for both topologies, so the comparison is the topologies'
        Properties props = ProcessorRuntime.streamsProperties(
                processorConfig(topic),
                app,
                Map.of(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                work.resolve("streams"),
                1,
                0);
        props.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, (int) commitInterval.toMillis());
        Map<TopicPartition, Long> end;
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            end = admin
                    .listOffsets(IntStream.range(0, PARTITIONS)
                            .boxed()
                            .collect(Collectors.toMap(p -> new TopicPartition(topic, p), p -> OffsetSpec.latest())))
                    .all()
                    .get()
                    .entrySet()
                    .stream()
                    .collect(Collectors.toMap(
                            Map.Entry::getKey, e -> e.getValue().offset()));
        }
        long events = end.values().stream().mapToLong(Long::longValue).sum();
        long[] running = {0};
        try (KafkaStreams streams = new KafkaStreams(topology, props);
                Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            streams.setStateListener((now, before) -> {
                if (now == KafkaStreams.State.RUNNING && running[0] == 0) {
                    running[0] = System.nanoTime();
                }
            });
            streams.start();
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            while (true) {
                if (System.nanoTime() > deadline || streams.state() == KafkaStreams.State.ERROR) {
                    throw new IllegalStateException(name + " did not finish: state " + streams.state());
                }
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(app)
                        .partitionsToOffsetAndMetadata()
                        .get();
                boolean done = end.entrySet().stream()
                        .allMatch(e -> committed.get(e.getKey()) != null
                                && committed.get(e.getKey()).offset() >= e.getValue());
                if (done) {
                    break;
                }
                Thread.sleep(20);
            }
            double seconds = (System.nanoTime() - running[0]) / 1e9;
            Run run = new Run(name, chunks, exchanges, events, seconds);
            System.out.printf(
                    Locale.ROOT,
                    "%-20s %4d-chunk streams: %,d events in %.2f s = %,.0f events/s%n",
                    name,
                    chunks,
                    events,
                    seconds,
                    run.eventsPerSecond());
            streams.close(Duration.ofSeconds(30));
            return run;
        }
    }
}
