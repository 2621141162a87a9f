package dev.tapeline.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tapeline run} as a user runs it: its own JVM, stopped by a signal, restarted on the same data. */
class RunCommandIT {

    @TempDir
    Path dir;

    private final List<String> output = new CopyOnWriteArrayList<>();
    private Thread reader;

    private Map<String, String> banner;

    private Process start(List<String> args) throws Exception {
        ChildJvm child = ChildJvm.run(args, output);
        reader = child.reader();
        banner = child.awaitBanner(output, Duration.ofSeconds(90));
        return child.process();
    }

    private void stop(Process process) throws Exception {
        // SIGTERM, like Ctrl-C's SIGINT, makes the JVM run the shutdown hook. Process.destroy() would
        // also close our end of the child's stdout, losing what it prints while stopping.
        process.toHandle().destroy();
        assertThat(process.waitFor(60, TimeUnit.SECONDS))
                .as("stopped within 60 s")
                .isTrue();
        reader.join(10_000);
    }

    private static List<Path> fixtures(Path root) throws Exception {
        return FixtureFiles.visible(root);
    }

    /** Committed records in the recordings topic (end offsets would also count transaction markers). */
    private static long recordingsOn(String bootstrap) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_committed"),
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor("tapeline.recordings").stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long count = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))
                    && System.nanoTime() < deadline) {
                count += consumer.poll(Duration.ofMillis(200)).count();
            }
            return count;
        }
    }

    @Test
    void givenRunningPipeline_whenSignalledAndRestarted_thenStopsCleanlyAndKeepsItsData() throws Exception {
        int kafkaPort = Ports.free();
        List<String> args = List.of(
                "--data-dir",
                dir.resolve("data").toString(),
                "--fixtures",
                dir.resolve("fixtures").toString(),
                "--port",
                String.valueOf(Ports.free()),
                "--kafka-port",
                String.valueOf(kafkaPort),
                "--controller-port",
                String.valueOf(Ports.free()),
                "--registry-port",
                String.valueOf(Ports.free()),
                "--metrics-port",
                String.valueOf(Ports.free()),
                "--recorded-base-url",
                "http://localhost:8000/v1");
        HttpClient http =
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        try (SimulatedUpstream upstream = SimulatedUpstream.start(0)) {
            List<String> withUpstream = new ArrayList<>(args);
            withUpstream.addAll(List.of("--upstream", upstream.url()));

            Process first = start(withUpstream);
            String agent = banner.get("Point clients at").replaceAll("^(http://\\S+/v1).*", "$1");
            String metrics = banner.get("Metrics");
            HttpResponse<String> response = http.send(
                    HttpRequest.newBuilder(URI.create(agent + "/chat/completions"))
                            .header("X-Test-Id", "tests/integration/run/test_run.py::test_first")
                            .POST(
                                    HttpRequest.BodyPublishers.ofString(
                                            "{\"model\":\"sim-1\",\"messages\":[{\"role\":\"user\",\"content\":\"before restart\"}]}"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> fixtures(dir.resolve("fixtures")).size() == 1);
            assertThat(http.send(
                                    HttpRequest.newBuilder(URI.create(metrics)).build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .body())
                    .contains("tapeline_agent_exchanges_total{outcome=\"completed\"} 1.0");

            stop(first);
            assertThat(output).as("exit code %d", first.exitValue()).contains("stopping Tapeline...");
            output.clear();

            Process second = start(withUpstream);
            try {
                assertThat(recordingsOn("127.0.0.1:" + kafkaPort))
                        .as("recordings kept across the restart")
                        .isEqualTo(1);
                http.send(
                        HttpRequest.newBuilder(URI.create(agent + "/chat/completions"))
                                .header("X-Test-Id", "tests/integration/run/test_run.py::test_second")
                                .POST(
                                        HttpRequest.BodyPublishers.ofString(
                                                "{\"model\":\"sim-1\",\"messages\":[{\"role\":\"user\",\"content\":\"after restart\"}]}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                await().atMost(Duration.ofSeconds(60))
                        .until(() -> fixtures(dir.resolve("fixtures")).size() == 2);
                assertThat(recordingsOn("127.0.0.1:" + kafkaPort)).isEqualTo(2);
            } finally {
                stop(second);
            }
        }
    }

    @Test
    void givenOpenStreams_whenSigterm_thenEachFinishesWithinTheGraceAndIsRecorded() throws Exception {
        int streams = 16;
        List<String> args = new ArrayList<>(List.of(
                "--data-dir",
                dir.resolve("data").toString(),
                "--fixtures",
                dir.resolve("fixtures").toString(),
                "--port",
                String.valueOf(Ports.free()),
                "--kafka-port",
                String.valueOf(Ports.free()),
                "--controller-port",
                String.valueOf(Ports.free()),
                "--registry-port",
                String.valueOf(Ports.free()),
                "--metrics-port",
                "-1",
                "--recorded-base-url",
                "http://localhost:8000/v1"));
        HttpClient http =
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        try (SimulatedUpstream upstream = SimulatedUpstream.start(100)) {
            args.addAll(List.of("--upstream", upstream.url()));
            Process first = start(args);
            String agent = banner.get("Point clients at").replaceAll("^(http://\\S+/v1).*", "$1");
            // about two seconds each: 23 events 100 ms apart
            List<java.util.concurrent.CompletableFuture<HttpResponse<Stream<String>>>> open = new ArrayList<>();
            for (int i = 0; i < streams; i++) {
                open.add(http.sendAsync(
                        HttpRequest.newBuilder(URI.create(agent + "/chat/completions"))
                                .header("X-Test-Id", "tests/integration/run/test_stop.py::test_stream[" + i + "]")
                                .POST(HttpRequest.BodyPublishers.ofString(
                                        "{\"model\":\"sim-1\",\"stream\":true,\"messages\":"
                                                + "[{\"role\":\"user\",\"content\":\"one two three four five six seven eight nine ten"
                                                + " eleven twelve thirteen fourteen fifteen sixteen " + i + "\"}]}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofLines()));
            }
            List<HttpResponse<Stream<String>>> started = new ArrayList<>();
            for (var response : open) {
                started.add(response.get(30, TimeUnit.SECONDS)); // the status line: the stream is under way
            }
            // a test id whose directory holds a NUL and a newline: no fixture, and one escaped log line saying why
            http.send(
                    HttpRequest.newBuilder(URI.create(agent + "/chat/completions"))
                            .header(
                                    "X-LlamaStack-Provider-Data",
                                    "{\"__test_id\": \"tests/a\\u0000b\\nINFO forged/x.py::t\"}")
                            .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"sim-1\",\"messages\":[]}"))
                            .build(),
                    HttpResponse.BodyHandlers.discarding());
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> output.stream()
                            .anyMatch(
                                    line -> line.endsWith("not a safe relative path: tests/a\\u0000b\\nINFO forged")));
            assertThat(output).noneMatch(line -> line.startsWith("INFO forged") || line.contains("\u0000"));

            stop(first);

            for (HttpResponse<Stream<String>> response : started) {
                List<String> lines =
                        response.body().filter(line -> !line.isEmpty()).toList();
                assertThat(lines).as("a whole stream").hasSize(23).last().isEqualTo("data: [DONE]");
            }
            assertThat(output).contains("stopping Tapeline...");

            Process second = start(args);
            try {
                await().atMost(Duration.ofSeconds(60))
                        .until(() -> fixtures(dir.resolve("fixtures")).size() == streams);
            } finally {
                stop(second);
            }
        }
    }
}
