package dev.tapeline.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tapeline.agent.AgentMode;
import dev.tapeline.agent.Route;
import dev.tapeline.fixture.repo.FixtureFile;
import dev.tapeline.sink.FixtureSink;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exchanges that broke off, written as fixtures when asked ({@code --write-incomplete}): the
 * chunks that came, then the exception, as llama-stack records an exception raised mid-stream;
 * never over a complete fixture; replayed as the same chunks and the same break.
 */
class IncompleteExchangesIT {

    private static final String TEST_FILE = "tests/integration/reliability/test_incomplete.py";

    @TempDir
    Path dir;

    private static String body(String message) {
        return "{\"model\":\"sim-1\",\"messages\":[{\"role\":\"user\",\"content\":\"" + message
                + "\"}],\"stream\":true}";
    }

    /** Posts a streamed chat; the upstream breaks it off after {@code breakAfter} events (null: never). */
    private static void post(int port, String test, String message, Integer breakAfter) throws InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                .header("X-Test-Id", TEST_FILE + "::" + test)
                .POST(HttpRequest.BodyPublishers.ofString(body(message)));
        if (breakAfter != null) {
            request.header("X-Sim-Break-After", breakAfter.toString());
        }
        try {
            HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .build()
                    .send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException expected) {
            // the client sees the break too
        }
    }

    /** Every byte an HTTP/1.1 exchange sends back until the server closes the connection. */
    private static String rawExchange(int port, String test, String message) throws IOException {
        byte[] content = body(message).getBytes(StandardCharsets.UTF_8);
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                            + "Content-Type: application/json\r\n"
                            + "X-Test-Id: " + TEST_FILE + "::" + test + "\r\nContent-Length: " + content.length
                            + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(content);
            out.flush();
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            InputStream in = socket.getInputStream();
            try {
                in.transferTo(received);
            } catch (java.net.SocketException reset) {
                // a reset instead of a close: what came before it is what counts
            }
            return received.toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    void
            givenWriteIncomplete_whenAStreamBreaksOff_thenItsChunksAndTheExceptionAreWrittenNeverOverACompleteOneAndReplayBreaksTheSame()
                    throws Exception {
        Path fixtures = dir.resolve("fixtures");
        Map<Path, FixtureSink.Written> written = new ConcurrentHashMap<>();
        List<Route> routes;
        try (SimulatedUpstream upstream = SimulatedUpstream.start(1)) {
            routes = List.of(new Route("sim", "/", URI.create(upstream.url()), "http://localhost:8000/v1"));
            try (Stack stack = Stack.start(
                    Stack.Settings.allInOne(dir.resolve("data"), routes, fixtures, AgentMode.RECORD)
                            .withSettings(dev.tapeline.settings.SettingValues.DEFAULTS.with(
                                    dev.tapeline.sink.SinkConfig.WRITE_INCOMPLETE, true)),
                    w -> written.put(w.path(), w))) {
                // given: one exchange completes; then the same request breaks off; then another one breaks off
                post(stack.agentPort(), "test_complete", "the quick brown fox jumps", null);
                await().atMost(Duration.ofSeconds(60)).until(() -> written.size() == 1);
                Path complete = written.keySet().iterator().next();
                byte[] completeBytes = Files.readAllBytes(complete);
                post(stack.agentPort(), "test_complete", "the quick brown fox jumps", 2);
                post(stack.agentPort(), "test_broken", "one two three four five six", 3);

                await().atMost(Duration.ofSeconds(60)).until(() -> written.size() == 2);
                Path broken = written.keySet().stream()
                        .filter(p -> !p.equals(complete))
                        .findFirst()
                        .orElseThrow();
                JsonNode response = FixtureFile.read(broken).root().path("response");
                assertThat(response.path("body"))
                        .as("the role chunk and two words, no [DONE]")
                        .hasSize(3);
                assertThat(response.path("is_streaming").asBoolean()).isTrue();
                assertThat(response.path("is_exception").asBoolean()).isTrue();
                assertThat(response.path("exception_data").path("type").asText())
                        .isEqualTo("RemoteProtocolError");
                assertThat(response.path("exception_message").asText()).startsWith("UPSTREAM_RESET: ");
                assertThat(complete)
                        .as("a broken repeat never replaces a complete fixture")
                        .hasBinaryContent(completeBytes);
            }
        }

        // when: the broken one is replayed without Kafka or upstream
        try (Stack replay = Stack.start(
                Stack.Settings.allInOne(
                                dir.resolve("replay"),
                                List.of(new Route(
                                        "sim", "/", URI.create("http://127.0.0.1:9"), "http://localhost:8000/v1")),
                                fixtures,
                                AgentMode.REPLAY)
                        .withComponents(EnumSet.of(PipelineConfig.Component.AGENT)),
                w -> {})) {
            String raw = rawExchange(replay.agentPort(), "test_broken", "one two three four five six");

            // then: the recorded chunks, then the connection goes without the stream's end
            assertThat(raw).startsWith("HTTP/1.1 200");
            assertThat(raw.split("data: ", -1)).as("three events").hasSize(4);
            assertThat(raw).doesNotContain("[DONE]").doesNotEndWith("0\r\n\r\n");
            assertThat(rawExchange(replay.agentPort(), "test_complete", "the quick brown fox jumps"))
                    .contains("data: [DONE]")
                    .endsWith("0\r\n\r\n");
        }
    }
}
