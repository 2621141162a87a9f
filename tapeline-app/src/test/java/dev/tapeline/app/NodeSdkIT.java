package dev.tapeline.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tapeline.agent.AgentMode;
import dev.tapeline.agent.Route;
import dev.tapeline.agent.UpstreamTimeouts;
import dev.tapeline.fixture.Corpus;
import dev.tapeline.fixture.path.TestIds;
import dev.tapeline.fixture.python.PyJson;
import dev.tapeline.fixture.repo.FixtureFile;
import dev.tapeline.fixture.shape.SdkRequests;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client that is not Python: the official OpenAI Node SDK (npm {@code openai}, installed by
 * {@code npm ci} in {@code src/test/node}; {@code .ci/run} does) sends the requests of real
 * llama-stack recordings through the agent with SDK calls, exactly as a user's code would (the
 * recorded call arguments; JavaScript numbers, so {@code temperature: 0.0} goes out as {@code 0}),
 * to an upstream that answers with the recorded responses. Every fixture written must be
 * byte-identical to the corpus file; then, replayed to the same SDK in REPLAY mode, every answer
 * must be the recorded one. Skipped where the corpus, Node or the SDK is missing, except on CI
 * ({@code TAPELINE_REQUIRE_NODE=1}).
 */
class NodeSdkIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    @TempDir
    Path dir;

    /** A recording, the route it goes through, and the SDK call that sends its request. */
    private record Call(FixtureFile file, int route) {}

    @Test
    void
            givenCorpusRequestsSentWithTheNodeSdk_whenRecordedThenReplayed_thenEveryFixtureByteIdenticalAndEveryAnswerTheRecordedOne()
                    throws Exception {
        NodeClient client = NodeClient.require();
        Path root = Corpus.root();
        List<FixtureFile> sample = sample();
        assertThat(sample).hasSizeGreaterThanOrEqualTo(100);
        System.out.printf(
                "NodeSdkIT: %d recordings sent, %d with integral floats in typed fields, %d with a recorded SDK version%n",
                sample.size(),
                sample.stream().filter(NodeSdkIT::hasIntegralFloat).count(),
                sample.stream().filter(f -> f.clientSdkVersion() != null).count());
        assertThat(sample)
                .as("requests with integral floats a JavaScript client sends as integers")
                .filteredOn(NodeSdkIT::hasIntegralFloat)
                .hasSizeGreaterThanOrEqualTo(20);

        // one route per base URL and recorded SDK version: the route records that version, whatever the client
        List<String> routeKeys =
                sample.stream().map(NodeSdkIT::routeKey).distinct().toList();
        Map<String, FixtureFile> byName = new LinkedHashMap<>();
        sample.forEach(f -> byName.put(f.path().getFileName().toString(), f));
        List<Call> calls = sample.stream()
                .map(f -> new Call(f, routeKeys.indexOf(routeKey(f))))
                .toList();

        // recorded against vLLM: the route's upstream answers /version as that server did
        Map<String, String> serverVersions = new LinkedHashMap<>();
        sample.stream()
                .filter(f -> f.serverVersion() != null)
                .forEach(f -> serverVersions.put(routeKey(f), f.serverVersion()));
        try (CorpusUpstream upstream = CorpusUpstream.start(byName, routeKeys, serverVersions)) {
            List<Route> routes = routes(calls, routeKeys.size(), upstream::url);
            try (TestStack tapeline = new TestStack(dir, routes)) {
                Map<String, JsonNode> answers = run(client, calls, tapeline.agentUrl());
                assertThat(answers.values()).noneMatch(answer -> answer.has("failure"));
                tapeline.awaitFixtures(sample.size());

                List<String> different = FixtureFiles.differingFromCorpus(root, tapeline.fixtures, sample);
                assertThat(different)
                        .as("fixtures the Node SDK's requests made that differ from the corpus original")
                        .isEmpty();
                assertThat(tapeline.written).hasSize(sample.size());
            }
        }

        // the upstream is gone: every answer now comes from the fixtures just written
        try (TestStack replay = new TestStack(
                dir, routes(calls, routeKeys.size(), i -> "http://127.0.0.1:9/r" + i), AgentMode.REPLAY)) {
            Map<String, JsonNode> replayed = run(client, calls, replay.agentUrl());
            Path report = Files.createDirectories(Path.of("target", "node-sdk"));
            List<String> differ = new ArrayList<>();
            for (Call call : calls) {
                String id = call.file().path().getFileName().toString();
                JsonNode expected = NodeClient.canonical(recordedAnswer(call.file(), id));
                JsonNode actual = NodeClient.canonical(replayed.get(id));
                if (call.file().endpoint().equals("/v1/models")) {
                    // replay answers a model list with the models of every list recorded for it, as llama-stack
                    // does, in the order it merges them: the same models
                    expected = byModelId(expected);
                    actual = byModelId(actual);
                }
                if (!expected.equals(actual)) {
                    // both sides, for a failure's diagnosis
                    Files.writeString(report.resolve(id + ".expected.json"), expected.toPrettyString());
                    Files.writeString(report.resolve(id + ".replayed.json"), actual.toPrettyString());
                    differ.add(id);
                }
            }
            assertThat(differ)
                    .as("answers replayed to the Node SDK that differ from the recorded ones (see target/node-sdk)")
                    .isEmpty();
        }
    }

    /**
     * Route {@code i} for the i-th base URL and recorded SDK version, its upstream at {@code upstreamOf};
     * the route records that SDK version whatever the client (none: what the client sends).
     */
    private static List<Route> routes(List<Call> calls, int count, java.util.function.IntFunction<String> upstreamOf) {
        List<Route> routes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int route = i;
            FixtureFile first = calls.stream()
                    .filter(c -> c.route() == route)
                    .findFirst()
                    .orElseThrow()
                    .file();
            routes.add(new Route(
                    "r" + i,
                    "/r" + i,
                    URI.create(upstreamOf.apply(i)),
                    first.recordedBaseUrl(),
                    UpstreamTimeouts.DEFAULTS,
                    first.clientSdkVersion()));
        }
        return routes;
    }

    /**
     * The recordings sent: chat completions streamed and not, recorded errors, model lists,
     * completions and embeddings, placed by their test id, whose request a JavaScript client can
     * send so that llama-stack's typing gives back the recorded body (integral floats only in the
     * fields its request models type as float; see docs/fidelity.md).
     */
    private static List<FixtureFile> sample() {
        List<FixtureFile> placed = Corpus.openAiCompatible().stream()
                .filter(Corpus::placedByTestId)
                .toList();
        List<FixtureFile> candidates =
                placed.stream().filter(NodeSdkIT::sendableFromJavaScript).toList();
        System.out.printf(
                "NodeSdkIT: %d of %d placed OpenAI-compatible recordings a JavaScript client can send; the others"
                        + " hold integral floats where llama-stack types nothing (Any)%n",
                candidates.size(), placed.size());
        List<FixtureFile> sample = new ArrayList<>();
        sample.addAll(spread(chat(candidates, true, false), 45));
        sample.addAll(spread(chat(candidates, false, false), 45));
        sample.addAll(chat(candidates, false, true));
        sample.addAll(spread(endpoint(candidates, "/v1/models"), 10));
        sample.addAll(endpoint(candidates, "/v1/completions"));
        sample.addAll(endpoint(candidates, "/v1/embeddings"));
        return sample;
    }

    private static List<FixtureFile> chat(List<FixtureFile> files, boolean streaming, boolean exception) {
        return files.stream()
                .filter(f -> f.endpoint().equals("/v1/chat/completions"))
                .filter(f -> f.isException() == exception)
                .filter(f -> exception || f.isStreaming() == streaming)
                .toList();
    }

    private static List<FixtureFile> endpoint(List<FixtureFile> files, String endpoint) {
        return files.stream().filter(f -> f.endpoint().equals(endpoint)).toList();
    }

    /** Spread picks over the whole list, so the sample covers many providers and test files. */
    private static List<FixtureFile> spread(List<FixtureFile> files, int count) {
        if (files.size() <= count) {
            return files;
        }
        List<FixtureFile> picked = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            picked.add(files.get(i * files.size() / count));
        }
        return picked;
    }

    /** Recordings that share a base URL, a recorded SDK version and a vLLM server version share a route. */
    private static String routeKey(FixtureFile file) {
        return file.recordedBaseUrl() + " " + Objects.toString(file.clientSdkVersion(), "") + " "
                + Objects.toString(file.serverVersion(), "");
    }

    /** Whether the SDK's body, its numbers as JavaScript sends them, is recorded as the file's body. */
    private static boolean sendableFromJavaScript(FixtureFile file) {
        JsonNode arguments = file.requestBody();
        JsonNode wire = SdkRequests.wireBody(file.kind(), arguments);
        return SdkRequests.arguments(file.kind(), javaScriptNumbers(wire), file.wireQuery())
                .equals(arguments);
    }

    private static boolean hasIntegralFloat(FixtureFile file) {
        return !javaScriptNumbers(file.requestBody()).equals(file.requestBody());
    }

    /** {@code JSON.stringify(JSON.parse(json))}: a float without a fraction becomes an integer. */
    private static JsonNode javaScriptNumbers(JsonNode node) {
        if (node.isFloatingPointNumber() && Math.rint(node.doubleValue()) == node.doubleValue()) {
            return NODES.numberNode(node.longValue());
        }
        if (node.isObject()) {
            ObjectNode copy = NODES.objectNode();
            node.fields().forEachRemaining(e -> copy.set(e.getKey(), javaScriptNumbers(e.getValue())));
            return copy;
        }
        if (node.isArray()) {
            ArrayNode copy = NODES.arrayNode();
            node.forEach(item -> copy.add(javaScriptNumbers(item)));
            return copy;
        }
        return node;
    }

    /** What the SDK makes of the recorded response: a stream's chunks, a body, a page's data, an error. */
    private static JsonNode recordedAnswer(FixtureFile file, String id) {
        List<byte[]> wire = file.wireResponseChunks();
        ObjectNode answer = NODES.objectNode().put("id", id);
        if (file.isException()) {
            JsonNode body = PyJson.parse(wire.get(0));
            answer.putObject("error")
                    .put("status", file.wireStatus())
                    .set("body", body.has("error") ? body.get("error") : NODES.nullNode());
        } else if (file.isStreaming()) {
            ArrayNode chunks = answer.putArray("chunks");
            wire.forEach(chunk -> chunks.add(PyJson.parse(chunk)));
        } else if (file.endpoint().equals("/v1/models")) {
            answer.set("body", PyJson.parse(wire.get(0)).get("data"));
        } else {
            answer.set("body", PyJson.parse(wire.get(0)));
        }
        return answer;
    }

    /** A model list answer with its models ordered by id. */
    private static JsonNode byModelId(JsonNode answer) {
        ObjectNode sorted = answer.deepCopy();
        List<JsonNode> models = new ArrayList<>();
        answer.path("body").forEach(models::add);
        models.sort(java.util.Comparator.comparing(model -> model.path("id").asText()));
        sorted.putArray("body").addAll(models);
        return sorted;
    }

    /** Runs every call with the Node SDK against {@code agentUrl}; the answers by fixture file name. */
    private Map<String, JsonNode> run(NodeClient client, List<Call> calls, String agentUrl) throws Exception {
        List<ObjectNode> list = new ArrayList<>();
        for (Call call : calls) {
            FixtureFile file = call.file();
            ObjectNode headers = NODES.objectNode()
                    .put("X-LlamaStack-Provider-Data", TestIds.providerDataHeader(file.testId()))
                    .put(
                            CorpusUpstream.FIXTURE_HEADER,
                            file.path().getFileName().toString());
            list.add(NodeClient.call(
                    file.path().getFileName().toString(),
                    agentUrl + "/r" + call.route() + "/v1",
                    file.endpoint(),
                    SdkRequests.wireBody(file.kind(), file.requestBody()),
                    headers));
        }
        return client.run(dir, list);
    }
}
