package dev.tapeline.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tapeline.agent.AgentMode;
import dev.tapeline.agent.Route;
import dev.tapeline.schema.Recording;
import dev.tapeline.schema.registry.RegistryConfig;
import dev.tapeline.schema.registry.RestSchemaRegistryClient;
import dev.tapeline.schema.serde.ConfluentAvroSerde;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stream processor in its own JVM, killed with SIGKILL five times while traffic runs: the
 * recordings topic must still hold each exchange exactly once (exactly_once_v2, read_committed).
 */
class ProcessorCrashIT {

    @TempDir
    Path dir;

    private final List<String> output = new CopyOnWriteArrayList<>();

    private Process startProcessor(String bootstrap, String registry) throws Exception {
        List<String> args = List.of(
                "--components",
                "PROCESSOR",
                "--bootstrap-servers",
                bootstrap,
                "--schema-registry-url",
                registry,
                "--data-dir",
                dir.resolve("processor").toString(),
                "--metrics-port",
                "-1",
                // static membership: a restarted processor takes its tasks back at once, without waiting for
                // the killed member's session to time out
                "--kafka-config",
                "group.instance.id=tapeline-processor-1");
        return ChildJvm.run(args, output).process();
    }

    private long ready() {
        return ChildJvm.readyCount(output);
    }

    @Test
    void givenTheProcessorKilledFiveTimesUnderLoad_whenTrafficEnds_thenEachExchangeIsInTheRecordingsTopicExactlyOnce()
            throws Exception {
        int exchanges = 400;
        try (SimulatedUpstream upstream = SimulatedUpstream.start(2);
                Stack stack = Stack.start(
                        Stack.Settings.allInOne(
                                        dir.resolve("data"),
                                        List.of(new Route(
                                                "sim", "/", URI.create(upstream.url()), "http://localhost:8000/v1")),
                                        dir.resolve("fixtures"),
                                        AgentMode.RECORD)
                                .withComponents(
                                        EnumSet.of(PipelineConfig.Component.AGENT, PipelineConfig.Component.SINK)),
                        w -> {})) {
            Process processor = startProcessor(stack.bootstrapServers(), stack.registryUrl());
            HttpClient http =
                    HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            AtomicInteger sent = new AtomicInteger();
            AtomicInteger sentWhenLastKilled = new AtomicInteger();
            Thread load = new Thread(() -> {
                for (int i = 0; i < exchanges; i++) {
                    try {
                        http.send(
                                HttpRequest.newBuilder(URI.create(
                                                "http://127.0.0.1:" + stack.agentPort() + "/v1/chat/completions"))
                                        .header(
                                                "X-Test-Id",
                                                "tests/integration/reliability/test_crash.py::test_stream[" + i + "]")
                                        .POST(HttpRequest.BodyPublishers.ofString(
                                                "{\"model\":\"sim-1\",\"messages\":[{\"role\":"
                                                        + "\"user\",\"content\":\"crash test " + i
                                                        + "\"}],\"stream\":true}"))
                                        .build(),
                                HttpResponse.BodyHandlers.discarding());
                        sent.incrementAndGet();
                        Thread.sleep(150);
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            load.start();
            for (int kill = 0; kill < 5; kill++) {
                int started = kill + 1;
                await().atMost(Duration.ofSeconds(60)).until(() -> ready() >= started);
                Thread.sleep(1_500); // let it take events in and hold an open transaction
                processor.destroyForcibly(); // SIGKILL: no shutdown hook, no commit, no leaving the group
                processor.waitFor();
                processor = startProcessor(stack.bootstrapServers(), stack.registryUrl());
            }
            sentWhenLastKilled.set(sent.get());
            load.join();
            assertThat(sent.get()).isEqualTo(exchanges);

            Map<String, List<Recording>> byExchange = new HashMap<>();
            Map<String, Object> config = new HashMap<>(Map.of(
                    "bootstrap.servers",
                    stack.bootstrapServers(),
                    "group.id",
                    "exactly-once-check",
                    "auto.offset.reset",
                    "earliest",
                    "isolation.level",
                    "read_committed"));
            RestSchemaRegistryClient registry = new RestSchemaRegistryClient(RegistryConfig.of(stack.registryUrl()));
            try (KafkaConsumer<String, Recording> consumer = new KafkaConsumer<>(
                    config,
                    new StringDeserializer(),
                    ConfluentAvroSerde.<Recording>forValues(Recording.getClassSchema(), registry))) {
                consumer.subscribe(List.of("tapeline.recordings"));
                await().atMost(Duration.ofSeconds(240))
                        .pollInterval(Duration.ZERO)
                        .until(() -> {
                            for (ConsumerRecord<String, Recording> record : consumer.poll(Duration.ofMillis(500))) {
                                byExchange
                                        .computeIfAbsent(record.value().getCompletionId(), k -> new ArrayList<>())
                                        .add(record.value());
                            }
                            return byExchange.size() >= exchanges;
                        });
                // anything late would be a duplicate: read on for a while
                long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                while (System.nanoTime() < until) {
                    for (ConsumerRecord<String, Recording> record : consumer.poll(Duration.ofMillis(500))) {
                        byExchange
                                .computeIfAbsent(record.value().getCompletionId(), k -> new ArrayList<>())
                                .add(record.value());
                    }
                }
            } finally {
                await().atMost(Duration.ofSeconds(60)).until(() -> ready() >= 6);
                processor.destroy();
                processor.waitFor();
            }

            assertThat(sentWhenLastKilled.get())
                    .as("the kills came while traffic ran")
                    .isLessThan(exchanges);
            assertThat(ready())
                    .as("processors that came up: the five killed ones and the last")
                    .isEqualTo(6);
            assertThat(byExchange).hasSize(exchanges);
            assertThat(byExchange.values())
                    .allSatisfy(recordings -> assertThat(recordings).hasSize(1));
            assertThat(byExchange.values()).allSatisfy(recordings -> {
                Recording recording = recordings.get(0);
                assertThat(recording.getOutcome().toString()).isEqualTo("COMPLETED");
                assertThat(recording.getResponse().getChunks()).isNotEmpty();
            });
        }
    }
}
