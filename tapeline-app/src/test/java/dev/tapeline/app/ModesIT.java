package dev.tapeline.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.ObjectMappers;
import com.openai.core.RequestOptions;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.models.Model;
import com.openai.models.models.ModelListParams;
import dev.tapeline.agent.AgentMode;
import dev.tapeline.agent.Route;
import dev.tapeline.fixture.Corpus;
import dev.tapeline.fixture.FixtureLayout;
import dev.tapeline.fixture.FixtureProfile;
import dev.tapeline.fixture.HashRules;
import dev.tapeline.fixture.path.TestIds;
import dev.tapeline.fixture.python.PyJson;
import dev.tapeline.fixture.repo.ChunkTiming;
import dev.tapeline.fixture.repo.FixtureFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's replay, record-if-missing and live modes, as clients see them. */
class ModesIT {

    @TempDir
    Path dir;

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

    /** The part of the endpoint the SDK appends to its base URL. */
    private static String sdkPath(String endpoint) {
        for (String path : List.of("/chat/completions", "/completions", "/embeddings", "/models")) {
            if (endpoint.endsWith(path)) {
                return path;
            }
        }
        throw new IllegalArgumentException(endpoint);
    }

    @Test
    void givenEveryCorpusRecording_whenReplayedToTheOpenAiSdk_thenEachAnswerIsItsFixtureWithoutKafkaOrUpstream()
            throws Exception {
        Path root = Corpus.root();
        List<FixtureFile> files = Corpus.openAiCompatible().stream()
                .filter(Corpus::placedByTestId)
                .toList();
        Path fixtures = dir.resolve("fixtures");
        for (FixtureFile file : files) {
            Path copy = fixtures.resolve(root.relativize(file.path()).toString());
            Files.createDirectories(copy.getParent());
            Files.copy(file.path(), copy);
        }
        List<String> bases =
                files.stream().map(FixtureFile::recordedBaseUrl).distinct().toList();
        List<Route> routes = new ArrayList<>();
        for (int i = 0; i < bases.size(); i++) {
            // the upstream is never called in replay mode: point it at a closed port
            routes.add(new Route("r" + i, "/r" + i, URI.create("http://127.0.0.1:9"), bases.get(i)));
        }
        Stack stack = Stack.start(
                Stack.Settings.allInOne(dir.resolve("data"), routes, fixtures, AgentMode.REPLAY)
                        .withComponents(EnumSet.of(PipelineConfig.Component.AGENT)),
                w -> {});
        Map<String, OpenAIClient> clients = new HashMap<>();
        int streamed = 0;
        int exceptions = 0;
        try {
            assertThat(stack.bootstrapServers()).as("replay needs no Kafka").isNull();
            for (FixtureFile file : files) {
                String base = "http://127.0.0.1:" + stack.agentPort() + "/r" + bases.indexOf(file.recordedBaseUrl())
                        + file.endpoint()
                                .substring(
                                        0,
                                        file.endpoint().length()
                                                - sdkPath(file.endpoint()).length());
                OpenAIClient client = clients.computeIfAbsent(
                        base,
                        b -> OpenAIOkHttpClient.builder()
                                .baseUrl(b)
                                .apiKey("sk-replay")
                                .maxRetries(0)
                                .build());
                String testId = TestIds.providerDataHeader(file.testId());
                JsonNode recorded = file.root().path("response").path("body");
                String what = file.path().toString();
                if (file.endpoint().endsWith("/models")) {
                    var listParams =
                            ModelListParams.builder().putAdditionalHeader("X-LlamaStack-Provider-Data", testId);
                    // models.list(extra_query=...) as llama-stack calls it for watsonx
                    file.requestBody()
                            .path("extra_query")
                            .fields()
                            .forEachRemaining(q -> listParams.putAdditionalQueryParam(
                                    q.getKey(), q.getValue().asText()));
                    List<String> ids = client.models().list(listParams.build(), RequestOptions.none()).data().stream()
                            .map(Model::id)
                            .toList();
                    List<String> recordedIds = new ArrayList<>();
                    recorded.forEach(model ->
                            recordedIds.add(model.path("__data__").path("id").asText()));
                    assertThat(ids).as(what).containsAll(recordedIds);
                } else if (file.endpoint().endsWith("/embeddings")) {
                    var embeddings = client.embeddings()
                            .create(EmbeddingCreateParams.builder()
                                    .body(ObjectMappers.jsonMapper()
                                            .readValue(file.wireRequestBody(), EmbeddingCreateParams.Body.class))
                                    .putAdditionalHeader("X-LlamaStack-Provider-Data", testId)
                                    .build());
                    assertThat(embeddings.data())
                            .as(what)
                            .hasSize(recorded.path("__data__").path("data").size());
                } else if (file.endpoint().endsWith("/chat/completions")) {
                    ChatCompletionCreateParams params = ChatCompletionCreateParams.builder()
                            .body(ObjectMappers.jsonMapper()
                                    .readValue(file.wireRequestBody(), ChatCompletionCreateParams.Body.class))
                            .putAdditionalHeader("X-LlamaStack-Provider-Data", testId)
                            .build();
                    if (file.isException()) {
                        exceptions++;
                        assertThatThrownBy(() -> client.chat().completions().create(params))
                                .as(what)
                                .isInstanceOf(BadRequestException.class)
                                .hasMessageContaining(file.root()
                                        .path("response")
                                        .path("exception_data")
                                        .path("body")
                                        .path("message")
                                        .asText());
                    } else if (file.isStreaming()) {
                        streamed++;
                        try (StreamResponse<ChatCompletionChunk> stream =
                                client.chat().completions().createStreaming(params)) {
                            List<ChatCompletionChunk> chunks = stream.stream().toList();
                            assertThat(chunks).as(what).hasSize(recorded.size());
                            assertThat(chunks.stream()
                                            .flatMap(c -> c.choices().stream())
                                            .map(c -> c.delta().content().orElse(""))
                                            .collect(Collectors.joining()))
                                    .as(what)
                                    .isEqualTo(deltas(recorded));
                        }
                    } else {
                        ChatCompletion completion = client.chat().completions().create(params);
                        JsonNode data = recorded.path("__data__");
                        assertThat(completion.id())
                                .as(what)
                                .isEqualTo(data.path("id").asText());
                        assertThat(completion
                                        .choices()
                                        .get(0)
                                        .message()
                                        .content()
                                        .orElse(""))
                                .as(what)
                                .isEqualTo(data.path("choices")
                                        .path(0)
                                        .path("message")
                                        .path("content")
                                        .asText(""));
                    }
                } else {
                    var completion = client.completions()
                            .create(CompletionCreateParams.builder()
                                    .body(ObjectMappers.jsonMapper()
                                            .readValue(file.wireRequestBody(), CompletionCreateParams.Body.class))
                                    .putAdditionalHeader("X-LlamaStack-Provider-Data", testId)
                                    .build());
                    assertThat(completion.id())
                            .as(what)
                            .isEqualTo(recorded.path("__data__").path("id").asText());
                }
            }
            assertThat(files).hasSizeGreaterThan(700);
            assertThat(streamed).isGreaterThan(300);
            assertThat(exceptions).isGreaterThanOrEqualTo(5);

            OpenAIClient stranger = clients.values().iterator().next();
            assertThatThrownBy(() -> stranger.chat()
                            .completions()
                            .create(ChatCompletionCreateParams.builder()
                                    .model("gpt-never")
                                    .addUserMessage("never recorded")
                                    .putAdditionalHeader("X-Test-Id", "tests/integration/x/test_y.py::test_never")
                                    .build()))
                    .isInstanceOf(NotFoundException.class)
                    .hasMessageContaining("no recording for this request in replay mode")
                    .hasMessageContaining("tests/integration/x/test_y.py::test_never")
                    .hasMessageContaining("model gpt-never")
                    .hasMessageContaining("tests/integration/x/recordings/")
                    .hasMessageContaining("--mode record-if-missing");

            // a recorded request changed in one field: the 404 names the recording it was and the field
            FixtureFile plain = files.stream()
                    .filter(f -> !f.isStreaming() && !f.isException())
                    .filter(f -> f.endpoint().equals("/v1/chat/completions"))
                    .filter(f -> f.requestBody()
                            .path("messages")
                            .path(0)
                            .path("content")
                            .isTextual())
                    .findFirst()
                    .orElseThrow();
            ObjectNode edited = (ObjectNode) PyJson.parse(plain.wireRequestBody());
            ObjectNode first = (ObjectNode) edited.path("messages").path(0);
            first.put("content", first.path("content").asText() + " (edited)");
            HttpResponse<String> miss = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + stack.agentPort() + "/r"
                                            + bases.indexOf(plain.recordedBaseUrl()) + plain.endpoint()))
                                    .header("Content-Type", "application/json")
                                    .header("X-Test-Id", plain.testId())
                                    .POST(HttpRequest.BodyPublishers.ofString(PyJson.dumpsCompact(edited)))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(miss.statusCode()).isEqualTo(404);
            JsonNode nearest = PyJson.parse(miss.body()).path("error").path("nearest");
            assertThat(nearest.path("file").asText())
                    .endsWith(plain.path().getFileName().toString());
            assertThat(nearest.path("why").asText()).isEqualTo("same test id");
            assertThat(nearest.path("differences"))
                    .extracting(difference -> difference.path("path").asText())
                    .containsExactly("messages[0].content");

            // curl, as a shell script in a test suite would call it
            FixtureFile streamedFile = files.stream()
                    .filter(f -> f.isStreaming() && !f.isException())
                    .findFirst()
                    .orElseThrow();
            assumeTrue(Files.isExecutable(Path.of("/usr/bin/curl")), "curl not installed; curl replay check skipped");
            Path body = dir.resolve("body.json");
            Files.write(body, streamedFile.wireRequestBody());
            Process curl = new ProcessBuilder(
                            "/usr/bin/curl",
                            "-sS",
                            "-N",
                            "-X",
                            "POST",
                            "http://127.0.0.1:" + stack.agentPort() + "/r"
                                    + bases.indexOf(streamedFile.recordedBaseUrl()) + streamedFile.endpoint(),
                            "-H",
                            "Content-Type: application/json",
                            "-H",
                            "X-Test-Id: " + streamedFile.testId(),
                            "--data-binary",
                            "@" + body)
                    .redirectErrorStream(true)
                    .start();
            String output = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(curl.waitFor()).isZero();
            StringBuilder expected = new StringBuilder();
            streamedFile
                    .wireResponseChunks()
                    .forEach(c -> expected.append("data: ")
                            .append(new String(c, StandardCharsets.UTF_8))
                            .append("\n\n"));
            assertThat(output).isEqualTo(expected + "data: [DONE]\n\n");
        } finally {
            clients.values().forEach(OpenAIClient::close);
            stack.close();
        }
    }

    @Test
    void
            givenOllamaGenaiAndPassthroughRecordingsOfEveryGeneration_whenReplayedToCurl_thenEachAnswersAsTheProviderWould()
                    throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/curl")), "curl not installed; curl replay check skipped");
        Path root = Corpus.root();
        List<FixtureFile> files = new ArrayList<>(Corpus.readAll(Corpus.olderGeneration()).stream()
                .filter(f -> f.kind().isOllama())
                .toList());
        files.addAll(Corpus.readAll(Corpus.currentGeneration()).stream()
                .filter(f ->
                        (f.kind().isOllama() || f.kind().isGemini() || f.isPassthrough()) && Corpus.placedByTestId(f))
                .toList());
        // one replay agent per layout: older recorder storage dirs (recordings/, recordings/vision/) and the current
        // one
        Map<FixtureLayout, List<FixtureFile>> byLayout = new LinkedHashMap<>();
        for (FixtureFile file : files) {
            byLayout.computeIfAbsent(
                            new FixtureLayout(
                                    file.profile(),
                                    file.profile().testScoped() ? "" : file.storageDir(root),
                                    HashRules.CURRENT),
                            k -> new ArrayList<>())
                    .add(file);
        }
        int ollama = 0;
        int genai = 0;
        int passthrough = 0;
        for (var group : byLayout.entrySet()) {
            int served = ollama + genai + passthrough;
            Path fixtures = dir.resolve("replay-" + served);
            for (FixtureFile file : group.getValue()) {
                Path copy = fixtures.resolve(root.relativize(file.path()).toString());
                Files.createDirectories(copy.getParent());
                Files.copy(file.path(), copy);
            }
            // one route per recorded base URL: passthrough recordings hash the whole URL
            List<String> bases = group.getValue().stream()
                    .map(FixtureFile::recordedBaseUrl)
                    .distinct()
                    .toList();
            List<Route> routes = new ArrayList<>();
            for (int i = 0; i < bases.size(); i++) {
                routes.add(new Route("r" + i, "/r" + i, URI.create("http://127.0.0.1:9"), bases.get(i)));
            }
            try (Stack stack = Stack.start(
                    Stack.Settings.allInOne(
                                    dir.resolve("data-" + served), routes, fixtures, group.getKey(), AgentMode.REPLAY)
                            .withComponents(EnumSet.of(PipelineConfig.Component.AGENT)),
                    w -> {})) {
                for (FixtureFile file : group.getValue()) {
                    Path body = dir.resolve("request-body.json");
                    Files.write(body, file.wireRequestBody());
                    String query = file.wireQuery();
                    List<String> command = new ArrayList<>(List.of(
                            "/usr/bin/curl",
                            "-sS",
                            "-N",
                            "--compressed",
                            "-X",
                            file.wireMethod(),
                            "http://127.0.0.1:" + stack.agentPort() + "/r" + bases.indexOf(file.recordedBaseUrl())
                                    + file.wireEndpoint()
                                    + (query == null ? "" : "?" + query)));
                    if (file.testId() != null) {
                        command.addAll(List.of("-H", "X-Test-Id: " + file.testId()));
                    }
                    if (file.wireMethod().equals("POST")) {
                        command.addAll(List.of("-H", "Content-Type: application/json", "--data-binary", "@" + body));
                    }
                    Process curl = new ProcessBuilder(command)
                            .redirectErrorStream(true)
                            .start();
                    String output = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                    assertThat(curl.waitFor()).isZero();
                    StringBuilder expected = new StringBuilder();
                    for (byte[] chunk : file.wireResponseChunks()) {
                        String text = new String(chunk, StandardCharsets.UTF_8);
                        expected.append(
                                !file.isStreaming() || file.isPassthrough()
                                        ? text
                                        : file.kind().isGemini() ? "data: " + text + "\r\n\r\n" : text + "\n");
                    }
                    assertThat(output).as(file.path().toString()).isEqualTo(expected.toString());
                    if (file.isPassthrough()) {
                        passthrough++;
                    } else if (file.kind().isGemini()) {
                        genai++;
                    } else {
                        ollama++;
                    }
                }
            }
        }
        assertThat(ollama)
                .as("Ollama files: /api/generate, /api/chat, /api/embed, /api/ps, /api/pull")
                .isGreaterThanOrEqualTo(45);
        assertThat(genai)
                .as("genai generate_content and generate_content_stream files")
                .isGreaterThanOrEqualTo(50);
        assertThat(passthrough)
                .as("HTTP passthrough: Anthropic messages, Gemini interactions")
                .isGreaterThanOrEqualTo(15);
    }

    @Test
    void givenRecordIfMissing_whenTheSameRequestComesTwice_thenRecordedOnceThenReplayedWithoutUpstream()
            throws Exception {
        try (SimulatedUpstream upstream = SimulatedUpstream.start(0);
                TestStack tapeline = new TestStack(
                        dir,
                        List.of(new Route("sim", "/", URI.create(upstream.url()), "http://localhost:8000/v1")),
                        AgentMode.RECORD_IF_MISSING)) {
            HttpClient http =
                    HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpRequest request = HttpRequest.newBuilder(URI.create(tapeline.agentUrl() + "/v1/chat/completions"))
                    .header("X-Test-Id", "tests/integration/modes/test_modes.py::test_rim")
                    .POST(
                            HttpRequest.BodyPublishers.ofString(
                                    "{\"model\":\"sim-1\",\"messages\":[{\"role\":\"user\",\"content\":\"remember me\"}],\"stream\":true}"))
                    .build();

            HttpResponse<String> first = http.send(request, HttpResponse.BodyHandlers.ofString());
            tapeline.awaitFixtures(1);
            HttpResponse<String> second = http.send(request, HttpResponse.BodyHandlers.ofString());

            assertThat(upstream.served()).hasSize(1);
            assertThat(first.headers().firstValue("X-Tapeline-Replay")).isEmpty();
            assertThat(second.headers().firstValue("X-Tapeline-Replay")).isPresent();
            assertThat(second.body())
                    .startsWith("data: ")
                    .endsWith("data: [DONE]\n\n")
                    .contains("Simulated")
                    .contains("\"id\":\"rec-");
            assertThat(second.body().split("\n\n")).hasSameSizeAs(first.body().split("\n\n"));
        }
    }

    @Test
    void givenChunkTiming_whenAStreamIsRecordedThenReplayed_thenTimingKeptBesideTheFixtureAndTheReplayPacedByIt()
            throws Exception {
        FixtureLayout layout = new FixtureLayout(FixtureProfile.CURRENT, "", HashRules.CURRENT, true);
        try (SimulatedUpstream upstream = SimulatedUpstream.start(60);
                TestStack tapeline = new TestStack(
                        dir,
                        List.of(new Route("sim", "/", URI.create(upstream.url()), "http://localhost:8000/v1")),
                        layout,
                        AgentMode.RECORD_IF_MISSING)) {
            HttpClient http =
                    HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpRequest request = HttpRequest.newBuilder(URI.create(tapeline.agentUrl() + "/v1/chat/completions"))
                    .header("X-Test-Id", "tests/integration/modes/test_modes.py::test_timing")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"sim-1\",\"messages\":[{\"role\":\"user\","
                            + "\"content\":\"pace me\"}],\"stream\":true}"))
                    .build();

            http.send(request, HttpResponse.BodyHandlers.ofString());
            tapeline.awaitFixtures(1);
            Path fixture = tapeline.written.keySet().iterator().next();
            List<Long> offsets = ChunkTiming.read(fixture);
            long replayStart = System.nanoTime();
            HttpResponse<String> replayed = http.send(request, HttpResponse.BodyHandlers.ofString());
            long replayNanos = System.nanoTime() - replayStart;

            assertThat(replayed.headers().firstValue("X-Tapeline-Replay")).isPresent();
            assertThat(offsets)
                    .as("one offset per recorded chunk")
                    .hasSize(FixtureFile.read(fixture).wireResponseChunks().size())
                    .isSorted();
            // the upstream spaced its chunks by 60 ms; a paced replay cannot be faster than the recording
            assertThat(offsets.get(offsets.size() - 1) - offsets.get(0)).isGreaterThanOrEqualTo(60_000_000L);
            assertThat(replayNanos).isGreaterThanOrEqualTo(offsets.get(offsets.size() - 1) - 5_000_000L);
        }
    }

    @Test
    void givenLiveMode_whenProxied_thenAnsweredAndNothingCaptured() throws Exception {
        try (SimulatedUpstream upstream = SimulatedUpstream.start(0);
                TestStack tapeline = new TestStack(
                        dir,
                        List.of(new Route("sim", "/", URI.create(upstream.url()), "http://localhost:8000/v1")),
                        AgentMode.LIVE)) {
            HttpResponse<String> response = HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .build()
                    .send(
                            HttpRequest.newBuilder(URI.create(tapeline.agentUrl() + "/v1/chat/completions"))
                                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"sim-1\",\"messages\":[]}"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(upstream.served()).hasSize(1);
            TopicScanner.Scan scan =
                    TopicScanner.find(tapeline.stack.bootstrapServers(), "sim-1".getBytes(StandardCharsets.UTF_8));
            assertThat(scan.hits()).as("no event of the exchange in any topic").isEmpty();
            assertThat(tapeline.written).isEmpty();
        }
    }
}
