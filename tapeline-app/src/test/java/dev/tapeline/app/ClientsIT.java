package dev.tapeline.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tapeline.agent.AgentMode;
import dev.tapeline.agent.Route;
import dev.tapeline.fixture.path.TestIds;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JavaScript clients applications use, each called as an application calls it
 * ({@code src/test/node/clients.mjs}): the Vercel AI SDK ({@code generateText} and
 * {@code streamText} with the default model, which speaks the Responses API, and with
 * {@code .chat(...)}, and {@code embed}), LangChain.js ({@code invoke}, {@code stream}) and the
 * Anthropic SDK ({@code messages.create}, {@code messages.stream}). Each is recorded through the
 * agent from an upstream speaking its API as its provider does, then replayed with the upstream
 * gone: every call gives the application what it got while recording. The differences are
 * llama-stack's by design, and named: an OpenAI answer's top-level {@code id} is normalized to
 * {@code rec-<hash12>} and its creation time to the epoch, which the Vercel AI SDK gives as the
 * epoch for a Response and reads as none, the time of the call, for a chat completion
 * (docs/fidelity.md).
 */
class ClientsIT {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final String TEST = "tests/integration/clients/test_javascript.py::";

    /** Every call, by the name clients.mjs knows it by. */
    private static final List<String> CALLS = List.of(
            "ai.generateText.responses",
            "ai.streamText.responses",
            "ai.generateText.chat",
            "ai.streamText.chat",
            "ai.embed",
            "langchain.invoke",
            "langchain.stream",
            "anthropic.messages.create",
            "anthropic.messages.stream");

    /**
     * The calls whose answer's id (and, for the Vercel AI SDK, time) the application sees from a
     * normalized top level: whole chat completions, every chat chunk, a whole Response. A
     * Responses stream's ids are inside its events, which the recorder leaves as they are.
     */
    private static final Set<String> NORMALIZED_ID = Set.of(
            "ai.generateText.responses",
            "ai.generateText.chat",
            "ai.streamText.chat",
            "langchain.invoke",
            "langchain.stream");

    @TempDir
    Path dir;

    private static List<com.fasterxml.jackson.databind.node.ObjectNode> calls(String agentUrl) {
        List<ObjectNode> calls = new ArrayList<>();
        for (String id : CALLS) {
            ObjectNode call = NODES.objectNode()
                    .put("id", id)
                    .put("openaiBaseURL", agentUrl + "/v1")
                    .put("anthropicBaseURL", agentUrl + "/anthropic");
            call.putObject("headers")
                    .put(
                            "X-LlamaStack-Provider-Data",
                            TestIds.providerDataHeader(TEST + "test_" + id.replace('.', '_')));
            calls.add(call);
        }
        return calls;
    }

    @Test
    void givenTheClientsApplicationsUse_whenRecordedThenReplayedOffline_thenEachGetsWhatItGotWhileRecording()
            throws Exception {
        NodeClient client = NodeClient.require();
        Map<String, JsonNode> recorded;
        List<Route> routes;
        try (ProviderUpstream upstream = ProviderUpstream.start()) {
            routes = List.of(
                    new Route("anthropic", "/anthropic", URI.create(upstream.url()), "https://api.anthropic.com"),
                    new Route("openai", "/", URI.create(upstream.url()), "https://api.openai.com/v1"));
            try (TestStack stack = new TestStack(dir, routes, AgentMode.RECORD)) {
                recorded = client.run(dir, "clients.mjs", calls(stack.agentUrl()));
                assertThat(recorded.values())
                        .as("every call answered while recording")
                        .allSatisfy(answer -> assertThat(answer.has("failure"))
                                .as(answer.toString())
                                .isFalse());
                stack.awaitFixtures(CALLS.size());
                assertThat(stack.written).hasSize(CALLS.size());
            }
        }
        assertThat(recorded.get("ai.streamText.chat")
                        .path("result")
                        .path("usage")
                        .path("totalTokens")
                        .asInt())
                .as("the usage chunk stream_options.include_usage asked for")
                .isEqualTo(18);

        try (TestStack replay = new TestStack(dir, routes, AgentMode.REPLAY)) {
            java.time.Instant replayStart = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
            Map<String, JsonNode> replayed = client.run(dir, "clients.mjs", calls(replay.agentUrl()));
            // both sides, for a failure's diagnosis
            Path report = java.nio.file.Files.createDirectories(Path.of("target", "clients"));
            java.nio.file.Files.writeString(
                    report.resolve("recorded.json"), NODES.pojoNode(recorded).toPrettyString());
            java.nio.file.Files.writeString(
                    report.resolve("replayed.json"), NODES.pojoNode(replayed).toPrettyString());
            for (String id : CALLS) {
                JsonNode got = replayed.get(id);
                assertThat(got.has("failure")).as("%s replayed: %s", id, got).isFalse();
                ObjectNode expected =
                        (ObjectNode) recorded.get(id).path("result").deepCopy();
                ObjectNode actual = (ObjectNode) got.path("result").deepCopy();
                if (NORMALIZED_ID.contains(id)) {
                    assertThat(actual.path("responseId").asText()).as(id).matches("rec-[0-9a-f]{12}");
                    expected.remove("responseId");
                    actual.remove("responseId");
                    if (id.endsWith(".responses")) {
                        // a Response's created_at 0: the epoch
                        assertThat(actual.path("timestamp").asText()).as(id).isEqualTo("1970-01-01T00:00:00.000Z");
                    } else if (id.startsWith("ai.")) {
                        // the SDK reads a chat completion's created 0 as none, and takes the time of the call
                        assertThat(java.time.Instant.parse(
                                        actual.path("timestamp").asText()))
                                .as(id)
                                .isBetween(replayStart, java.time.Instant.now());
                    }
                    expected.remove("timestamp");
                    actual.remove("timestamp");
                }
                assertThat(actual)
                        .as("%s: what the application got, replayed", id)
                        .isEqualTo(expected);
            }
        }
    }
}
