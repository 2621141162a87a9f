package dev.tapeline.app;

import dev.tapeline.agent.AgentMode;
import dev.tapeline.agent.Route;
import dev.tapeline.fixture.path.TestIds;
import dev.tapeline.sink.FixtureSink;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The whole pipeline with no key and no network: a simulated OpenAI-compatible upstream, a
 * handful of streaming and non-streaming requests through the agent, and the fixtures they
 * became.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description =
                "Send sample requests through the whole pipeline to a simulated upstream and show the fixtures written.")
public final class DemoCommand implements Callable<Integer> {

    static final String RECORDED_BASE_URL = "http://localhost:8000/v1";
    static final String TEST_FILE = "tests/integration/demo/test_demo.py";

    @Option(
            names = "--fixtures",
            defaultValue = "fixtures",
            description = "Fixture repository root (default: ${DEFAULT-VALUE}).")
    Path fixtures;

    @Option(names = "--keep-running", description = "Keep the pipeline up afterwards, until Ctrl-C.")
    boolean keepRunning;

    /** One sample request. */
    record Sample(String name, String method, String path, String body) {}

    static final List<Sample> SAMPLES = List.of(
            new Sample(
                    "test_chat_streaming[greeting]",
                    "POST",
                    "/v1/chat/completions",
                    "{\"model\":\"sim-1\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello Tapeline, stream this back\"}],\"stream\":true}"),
            new Sample(
                    "test_chat_streaming[unicode]",
                    "POST",
                    "/v1/chat/completions",
                    "{\"model\":\"sim-1\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"Caf\u00e9 \u2615 \u00fcber alles\"}],\"temperature\":0.123456789,\"stream\":true}"),
            new Sample(
                    "test_chat_streaming[long]",
                    "POST",
                    "/v1/chat/completions",
                    "{\"model\":\"sim-1\",\"messages\":[{\"role\":\"user\",\"content\":\""
                            + "word ".repeat(40).trim()
                            + "\"}],\"stream\":true,\"stream_options\":{\"include_usage\":false}}"),
            new Sample(
                    "test_chat_non_streaming[greeting]",
                    "POST",
                    "/v1/chat/completions",
                    "{\"model\":\"sim-1\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello Tapeline\"}]}"),
            new Sample(
                    "test_chat_non_streaming[tools]",
                    "POST",
                    "/v1/chat/completions",
                    "{\"model\":\"sim-1\",\"messages\":[{\"role\":\"user\",\"content\":\"What is the weather?\"}],\"tool_choice\":\"auto\",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\",\"properties\":{}}}}]}"),
            new Sample(
                    "test_completion",
                    "POST",
                    "/v1/completions",
                    "{\"model\":\"sim-1\",\"prompt\":\"Once upon a time\",\"max_tokens\":8}"),
            new Sample(
                    "test_embeddings",
                    "POST",
                    "/v1/embeddings",
                    "{\"model\":\"sim-embed-1\",\"input\":[\"first text\",\"second text\"],\"encoding_format\":\"float\"}"),
            new Sample("test_models", "GET", "/v1/models", ""));

    @Override
    public Integer call() throws Exception {
        // beside the fixtures rather than in /tmp, which Kafka Streams warns against; removed afterwards
        Files.createDirectories(Path.of(".tapeline-demo"));
        Path dataDir = Files.createTempDirectory(Path.of(".tapeline-demo"), "run-");
        long start = System.nanoTime();
        Map<String, FixtureSink.Written> written = new ConcurrentHashMap<>();
        System.out.println(
                "Tapeline demo: starting an in-process Kafka broker, schema registry, agent, processor and sink...");
        try (SimulatedUpstream upstream = SimulatedUpstream.start(5);
                Stack stack = Stack.start(
                        Stack.Settings.allInOne(
                                dataDir,
                                List.of(new Route("simulated", "/", URI.create(upstream.url()), RECORDED_BASE_URL)),
                                fixtures,
                                AgentMode.RECORD),
                        w -> written.put(w.path().toString(), w))) {
            System.out.printf(
                    "Ready in %.1f s. Agent: http://127.0.0.1:%d/v1 -> simulated upstream %s%n%n",
                    (System.nanoTime() - start) / 1e9, stack.agentPort(), upstream.url());
            send(stack.agentPort());
            awaitFixtures(written, SAMPLES.size(), Duration.ofSeconds(60));
            System.out.printf("%nFixtures under %s:%n", fixtures.toAbsolutePath());
            written.values().stream()
                    .sorted(Comparator.comparing(w -> w.path().toString()))
                    .forEach(w -> System.out.printf(
                            "  %-9s %s (%,d bytes)%n",
                            w.result().name().toLowerCase(),
                            fixtures.toAbsolutePath().relativize(w.path()),
                            size(w.path())));
            written.values().stream()
                    .map(FixtureSink.Written::path)
                    .filter(p -> !p.getFileName().toString().startsWith("models-"))
                    .min(Comparator.naturalOrder())
                    .ifPresent(DemoCommand::preview);
            if (keepRunning) {
                System.out.printf(
                        "%nStill running: OPENAI_BASE_URL=http://127.0.0.1:%d/v1 (simulated upstream). Ctrl-C stops.%n",
                        stack.agentPort());
                Thread.currentThread().join();
            }
        } finally {
            deleteRecursively(dataDir);
            try (Stream<Path> left = Files.list(dataDir.getParent())) {
                if (left.findAny().isEmpty()) {
                    Files.delete(dataDir.getParent());
                }
            }
        }
        return written.size() >= SAMPLES.size() ? 0 : 1;
    }

    private static void send(int agentPort) throws IOException, InterruptedException {
        HttpClient http =
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        for (Sample sample : SAMPLES) {
            HttpRequest.Builder request = HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + agentPort + sample.path()))
                    .header("Authorization", "Bearer sk-demo-this-key-never-reaches-kafka")
                    .header("X-LlamaStack-Provider-Data", TestIds.providerDataHeader(TEST_FILE + "::" + sample.name()))
                    .header("X-Stainless-Lang", "python")
                    .header("X-Stainless-Package-Version", "2.5.0");
            if (sample.method().equals("GET")) {
                request.GET();
            } else {
                request.header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(sample.body()));
            }
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            String shape =
                    response.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream")
                            ? response.body().split("\n\n").length + " SSE events"
                            : response.body().length() + " bytes of JSON";
            System.out.printf(
                    "  %-4s %-22s %-36s -> %d, %s%n",
                    sample.method(), sample.path(), sample.name(), response.statusCode(), shape);
        }
    }

    private static void awaitFixtures(Map<String, FixtureSink.Written> written, int expected, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (written.size() < expected && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        if (written.size() < expected) {
            System.out.printf("only %d of %d fixtures arrived within %s%n", written.size(), expected, timeout);
        }
    }

    private static void preview(Path fixture) {
        try {
            List<String> lines = Files.readAllLines(fixture);
            System.out.printf("%nFirst lines of %s:%n", fixture.getFileName());
            lines.stream().limit(24).forEach(line -> System.out.println("  " + line));
            System.out.println("  ... (" + lines.size() + " lines)");
        } catch (IOException e) {
            System.out.println("cannot read " + fixture + ": " + e.getMessage());
        }
    }

    private static long size(Path path) {
        try {
            return Files.size(path);
        } catch (IOException e) {
            return -1;
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path path : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
