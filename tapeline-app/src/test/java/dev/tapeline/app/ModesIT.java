package dev.tapeline.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.ObjectMappers;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.tapeline.agent.AgentMode;
import dev.tapeline.agent.Route;
import dev.tapeline.fixture.Corpus;
import dev.tapeline.fixture.FixtureFile;
import dev.tapeline.fixture.PyJson;
import dev.tapeline.fixture.TestIds;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's replay, record-if-missing and live modes, as clients see them. */
class ModesIT {

    @TempDir
    Path dir;

    private static List<FixtureFile> sample(boolean streaming, int count, Path root) {
        List<FixtureFile> files = Corpus.chatCompletions(streaming).stream()
                .filter(f -> f.testId() != null && (TestIds.recordingsDir(f.testId()) + f.path().getFileName())
                        .equals(root.relativize(f.path()).toString()))
                .toList();
        List<FixtureFile> picked = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            picked.add(files.get(i * files.size() / count));
        }
        return picked;
    }

    private static String deltas(JsonNode chunks) {
        StringBuilder text = new StringBuilder();
        for (JsonNode chunk : chunks) {
            JsonNode choices = chunk.path("__data__").path("choices");
            if (choices.size() > 0) {
                text.append(choices.path(0).path("delta").path("content").asText(""));
            }
        }
        return text.toString();
    }

    @Test
    void givenCorpusFixtures_whenReplayedToTheOpenAiSdk_thenEachAnswerIsTheFixturesWithoutKafkaOrUpstream() throws Exception {
        Path root = Corpus.root();
        List<FixtureFile> files = new ArrayList<>(sample(true, 20, root));
        files.addAll(sample(false, 20, root));
        Path fixtures = dir.resolve("fixtures");
        for (FixtureFile file : files) {
            Path copy = fixtures.resolve(root.relativize(file.path()).toString());
            Files.createDirectories(copy.getParent());
            Files.copy(file.path(), copy);
        }
        List<String> bases = files.stream().map(FixtureFile::recordedBaseUrl).distinct().toList();
        List<Route> routes = new ArrayList<>();
        for (int i = 0; i < bases.size(); i++) {
            // the upstream is never called in replay mode: point it at a closed port
            routes.add(new Route("r" + i, "/r" + i, URI.create("http://127.0.0.1:9"), bases.get(i)));
        }
        Stack stack = Stack.start(new Stack.Settings(dir.resolve("data"), null, 0, 0, null, 0, "127.0.0.1", 0, routes,
                fixtures, dev.tapeline.fixture.FixtureProfile.CURRENT, "", java.util.EnumSet.of(PipelineConfig.Component.AGENT),
                AgentMode.REPLAY), w -> { });
        try {
            assertThat(stack.bootstrapServers()).as("replay needs no Kafka").isNull();
            for (FixtureFile file : files) {
                String base = "http://127.0.0.1:" + stack.agentPort() + "/r" + bases.indexOf(file.recordedBaseUrl())
                        + file.endpoint().replace("/chat/completions", "");
                OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(base).apiKey("sk-replay").maxRetries(0)
                        .putHeader("X-LlamaStack-Provider-Data", "{\"__test_id\": "
                                + PyJson.dumpsCompact(com.fasterxml.jackson.databind.node.TextNode.valueOf(file.testId())) + "}")
                        .build();
                ChatCompletionCreateParams params = ChatCompletionCreateParams.builder()
                        .body(ObjectMappers.jsonMapper().readValue(file.wireRequestBody(), ChatCompletionCreateParams.Body.class))
                        .build();
                JsonNode recorded = file.root().path("response").path("body");
                if (file.isStreaming()) {
                    try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
                        List<ChatCompletionChunk> chunks = stream.stream().toList();
                        assertThat(chunks).as(file.path().toString()).hasSize(recorded.size());
                        assertThat(chunks.stream().flatMap(c -> c.choices().stream())
                                .map(c -> c.delta().content().orElse("")).collect(Collectors.joining()))
                                .isEqualTo(deltas(recorded));
                    }
                } else {
                    ChatCompletion completion = client.chat().completions().create(params);
                    JsonNode data = recorded.path("__data__");
                    assertThat(completion.id()).isEqualTo(data.path("id").asText());
                    assertThat(completion.choices().get(0).message().content().orElse(""))
                            .isEqualTo(data.path("choices").path(0).path("message").path("content").asText(""));
                }
            }

            OpenAIClient stranger = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + stack.agentPort() + "/r0/v1")
                    .apiKey("sk-replay").maxRetries(0).putHeader("X-Test-Id", "tests/integration/x/test_y.py::test_never")
                    .build();
            assertThatThrownBy(() -> stranger.chat().completions().create(ChatCompletionCreateParams.builder()
                    .model("gpt-never").addUserMessage("never recorded").build()))
                    .isInstanceOf(NotFoundException.class)
                    .hasMessageContaining("no recording for this request in replay mode")
                    .hasMessageContaining("tests/integration/x/test_y.py::test_never")
                    .hasMessageContaining("model gpt-never")
                    .hasMessageContaining("tests/integration/x/recordings/")
                    .hasMessageContaining("--mode record-if-missing");

            // curl, as a shell script in a test suite would call it
            FixtureFile streamed = files.stream().filter(FixtureFile::isStreaming).findFirst().orElseThrow();
            assumeTrue(Files.isExecutable(Path.of("/usr/bin/curl")), "curl not installed; curl replay check skipped");
            Path body = dir.resolve("body.json");
            Files.write(body, streamed.wireRequestBody());
            Process curl = new ProcessBuilder("/usr/bin/curl", "-sS", "-N", "-X", "POST",
                    "http://127.0.0.1:" + stack.agentPort() + "/r" + bases.indexOf(streamed.recordedBaseUrl()) + streamed.endpoint(),
                    "-H", "Content-Type: application/json", "-H", "X-Test-Id: " + streamed.testId(),
                    "--data-binary", "@" + body).redirectErrorStream(true).start();
            String output = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(curl.waitFor()).isZero();
            StringBuilder expected = new StringBuilder();
            streamed.wireResponseChunks().forEach(c -> expected.append("data: ").append(new String(c, StandardCharsets.UTF_8)).append("\n\n"));
            assertThat(output).isEqualTo(expected + "data: [DONE]\n\n");
        } finally {
            stack.close();
        }
    }

    @Test
    void givenRecordIfMissing_whenTheSameRequestComesTwice_thenRecordedOnceThenReplayedWithoutUpstream() throws Exception {
        try (SimulatedUpstream upstream = SimulatedUpstream.start(0);
             TestStack tapeline = new TestStack(dir, List.of(new Route("sim", "/", URI.create(upstream.url()),
                     "http://localhost:8000/v1")), AgentMode.RECORD_IF_MISSING)) {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpRequest request = HttpRequest.newBuilder(URI.create(tapeline.agentUrl() + "/v1/chat/completions"))
                    .header("X-Test-Id", "tests/integration/modes/test_modes.py::test_rim")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"sim-1\",\"messages\":[{\"role\":\"user\",\"content\":\"remember me\"}],\"stream\":true}"))
                    .build();

            HttpResponse<String> first = http.send(request, HttpResponse.BodyHandlers.ofString());
            tapeline.awaitFixtures(1);
            HttpResponse<String> second = http.send(request, HttpResponse.BodyHandlers.ofString());

            assertThat(upstream.served()).hasSize(1);
            assertThat(first.headers().firstValue("X-Tapeline-Replay")).isEmpty();
            assertThat(second.headers().firstValue("X-Tapeline-Replay")).isPresent();
            assertThat(second.body()).startsWith("data: ").endsWith("data: [DONE]\n\n")
                    .contains("Simulated").contains("\"id\":\"rec-");
            assertThat(second.body().split("\n\n")).hasSameSizeAs(first.body().split("\n\n"));
        }
    }

    @Test
    void givenLiveMode_whenProxied_thenAnsweredAndNothingCaptured() throws Exception {
        try (SimulatedUpstream upstream = SimulatedUpstream.start(0);
             TestStack tapeline = new TestStack(dir, List.of(new Route("sim", "/", URI.create(upstream.url()),
                     "http://localhost:8000/v1")), AgentMode.LIVE)) {
            HttpResponse<String> response = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(
                    HttpRequest.newBuilder(URI.create(tapeline.agentUrl() + "/v1/chat/completions"))
                            .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"sim-1\",\"messages\":[]}")).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(upstream.served()).hasSize(1);
            TopicScanner.Scan scan = TopicScanner.find(tapeline.stack.bootstrapServers(), "sim-1".getBytes(StandardCharsets.UTF_8));
            assertThat(scan.hits()).as("no event of the exchange in any topic").isEmpty();
            assertThat(tapeline.written).isEmpty();
        }
    }
}
