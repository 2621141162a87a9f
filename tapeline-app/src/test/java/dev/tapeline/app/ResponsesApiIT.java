package dev.tapeline.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tapeline.agent.AgentMode;
import dev.tapeline.agent.Route;
import dev.tapeline.fixture.path.TestIds;
import dev.tapeline.fixture.python.PyJson;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OpenAI's Responses API as applications call it today: the official Node SDK's
 * {@code responses.create}, streamed and not, recorded through the agent from an upstream that
 * speaks the API as OpenAI does (typed SSE events, each with its {@code event:} line, no
 * terminator), written as llama-stack's recorder writes {@code /v1/responses}, then replayed with
 * the upstream gone: the application gets what it got while recording. The one difference is
 * llama-stack's by design: a whole {@code Response} has its {@code id} normalized to
 * {@code rec-<hash>} and its {@code created_at} to the epoch. Round-tripped, every file written
 * comes back byte for byte.
 */
class ResponsesApiIT {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final String TEST = "tests/integration/responses/test_node_sdk.py::";

    @TempDir
    Path dir;

    private static List<ObjectNode> calls(String agentUrl) {
        List<ObjectNode> calls = new ArrayList<>();
        for (boolean stream : new boolean[] {false, true}) {
            String id = stream ? "responses_stream" : "responses_create";
            ObjectNode args = NODES.objectNode()
                    .put("model", "gpt-4.1-mini")
                    .put("input", "Say hello in two words.")
                    .put("temperature", 0);
            if (stream) {
                args.put("stream", true);
            }
            ObjectNode headers = NODES.objectNode()
                    .put("X-LlamaStack-Provider-Data", TestIds.providerDataHeader(TEST + "test_" + id));
            calls.add(NodeClient.call(id, agentUrl + "/v1", "/v1/responses", args, headers));
        }
        return calls;
    }

    /** A streamed call as raw HTTP, to see the bytes the client is sent. */
    private static HttpResponse<String> rawStream(String agentUrl) throws Exception {
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(agentUrl + "/v1/responses"))
                                .header("content-type", "application/json")
                                .header("X-LlamaStack-Provider-Data", TestIds.providerDataHeader(TEST + "test_raw"))
                                .POST(HttpRequest.BodyPublishers.ofString(
                                        "{\"model\":\"gpt-4.1-mini\",\"input\":\"Hi\",\"stream\":true}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void givenNodeSdkResponsesCalls_whenRecordedThenReplayedOffline_thenTheApplicationGetsTheSameAnswers()
            throws Exception {
        NodeClient client = NodeClient.require();
        ProviderUpstream upstream = ProviderUpstream.start();
        String stream = upstream.responsesStream();
        List<Route> routes = List.of(new Route("openai", "/", URI.create(upstream.url()), "https://api.openai.com/v1"));

        Map<String, JsonNode> recorded;
        String relayed;
        try (TestStack stack = new TestStack(dir, routes, AgentMode.RECORD)) {
            recorded = client.run(dir, calls(stack.agentUrl()));
            relayed = rawStream(stack.agentUrl()).body();
            stack.awaitFixtures(3);
            assertThat(stack.written).hasSize(3);
        } finally {
            upstream.close();
        }
        assertThat(recorded.values()).noneMatch(answer -> answer.has("failure") || answer.has("error"));
        assertThat(relayed).as("the stream as the upstream sent it").isEqualTo(stream);
        assertThat(recorded.get("responses_stream").path("chunks")).hasSize(10);

        JsonNode streamedFixture = fixture("test_responses_stream");
        assertThat(streamedFixture.path("request").path("endpoint").asText()).isEqualTo("/v1/responses");
        List<String> types = new ArrayList<>();
        streamedFixture
                .path("response")
                .path("body")
                .forEach(event -> types.add(event.path("__type__").asText()));
        assertThat(types)
                .startsWith(
                        "openai.types.responses.response_created_event.ResponseCreatedEvent",
                        "openai.types.responses.response_in_progress_event.ResponseInProgressEvent",
                        "openai.types.responses.response_output_item_added_event.ResponseOutputItemAddedEvent")
                .contains("openai.types.responses.response_text_delta_event.ResponseTextDeltaEvent")
                .endsWith("openai.types.responses.response_completed_event.ResponseCompletedEvent");
        JsonNode singleFixture = fixture("test_responses_create");
        assertThat(singleFixture.path("response").path("body").path("__type__").asText())
                .isEqualTo("openai.types.responses.response.Response");
        String recId = singleFixture
                .path("response")
                .path("body")
                .path("__data__")
                .path("id")
                .asText();
        assertThat(recId).startsWith("rec-");

        try (TestStack replay = new TestStack(dir, routes, AgentMode.REPLAY)) {
            Map<String, JsonNode> replayed = client.run(dir, calls(replay.agentUrl()));
            assertThat(NodeClient.canonical(replayed.get("responses_stream")))
                    .as("the stream's events, as the SDK gives them to the application")
                    .isEqualTo(NodeClient.canonical(recorded.get("responses_stream")));

            ObjectNode expected = (ObjectNode) recorded.get("responses_create").deepCopy();
            ((ObjectNode) expected.get("body")).put("id", recId).put("created_at", 0);
            assertThat(NodeClient.canonical(replayed.get("responses_create")))
                    .as("the Response, its id and created_at normalized as llama-stack records them")
                    .isEqualTo(NodeClient.canonical(expected));

            HttpResponse<String> served = rawStream(replay.agentUrl());
            assertThat(served.headers().firstValue("content-type")).hasValue("text/event-stream; charset=utf-8");
            assertThat(eventLines(served.body()))
                    .as("each event named as the upstream named it")
                    .isEqualTo(eventLines(stream));
            assertThat(served.body()).doesNotContain("[DONE]").endsWith("\n\n");
        }

        // each file served in provider form, captured again through the whole pipeline: the same bytes
        RoundTrip.Report roundTrip = RoundTrip.run(
                dir.resolve("fixtures"),
                dir.resolve("round-trip"),
                new java.io.PrintStream(java.io.OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8));
        assertThat(roundTrip.outcomes())
                .extracting(RoundTrip.Outcome::kind)
                .containsExactly(RoundTrip.Kind.IDENTICAL, RoundTrip.Kind.IDENTICAL, RoundTrip.Kind.IDENTICAL);
    }

    private JsonNode fixture(String test) throws IOException {
        try (Stream<Path> files = Files.walk(dir.resolve("fixtures"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".json")).toList()) {
                JsonNode root = PyJson.parse(Files.readAllBytes(file));
                if (root.path("test_id").asText().endsWith("::" + test)) {
                    return root;
                }
            }
        }
        throw new AssertionError("no fixture of " + test);
    }

    private static List<String> eventLines(String sse) {
        return sse.lines().filter(line -> line.startsWith("event: ")).toList();
    }
}
