package dev.tapeline.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.tapeline.agent.AgentMode;
import dev.tapeline.agent.Route;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Calls of endpoints llama-stack has no fixture shape for (moderations, a stored response read
 * back, streamed image generation with typed SSE events) are recorded as HTTP passthrough fixtures
 * and replayed with the upstream gone, the same answers.
 */
class PassthroughEndpointsIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final String MODERATION = "{\"id\":\"modr-1\",\"model\":\"omni-moderation-latest\",\"results\":"
            + "[{\"flagged\":false,\"categories\":{\"violence\":false},\"category_scores\":{\"violence\":0.0012}}]}";
    private static final String STORED = "{\"id\":\"resp_1\",\"object\":\"response\",\"status\":\"completed\","
            + "\"model\":\"gpt-4.1\",\"output\":[{\"type\":\"message\",\"role\":\"assistant\",\"content\":"
            + "[{\"type\":\"output_text\",\"text\":\"Hello\",\"annotations\":[]}]}]}";
    private static final String IMAGE_EVENTS = "event: image_generation.partial_image\n"
            + "data: {\"type\":\"image_generation.partial_image\",\"b64_json\":\"AAAA\",\"partial_image_index\":0}\n\n"
            + "event: image_generation.completed\n"
            + "data: {\"type\":\"image_generation.completed\",\"b64_json\":\"AAAABBBB\",\"usage\":{\"total_tokens\":5}}\n\n";

    @TempDir
    Path dir;

    private static HttpServer upstream() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            String path = exchange.getRequestURI().getPath();
            switch (exchange.getRequestMethod() + " " + path) {
                case "POST /v1/moderations" -> answer(exchange, "application/json", MODERATION);
                case "GET /v1/responses/resp_1" -> answer(exchange, "application/json", STORED);
                case "POST /v1/images/generations" -> answer(exchange, "text/event-stream", IMAGE_EVENTS);
                default -> answer(exchange, "application/json", "{\"error\":\"unexpected " + path + "\"}");
            }
        });
        server.start();
        return server;
    }

    private static void answer(HttpExchange exchange, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("content-type", type);
        exchange.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** The calls, by name: method, path and body (null for a GET). */
    private static final Map<String, String[]> CALLS = new LinkedHashMap<>();

    static {
        CALLS.put("moderation", new String[] {
            "POST", "/v1/moderations", "{\"model\":\"omni-moderation-latest\"," + "\"input\":\"hello\"}"
        });
        CALLS.put("stored_response", new String[] {"GET", "/v1/responses/resp_1", null});
        CALLS.put("image_stream", new String[] {
            "POST",
            "/v1/images/generations",
            "{\"model\":\"gpt-image-1\"," + "\"prompt\":\"a cat\",\"stream\":true,\"partial_images\":1}"
        });
    }

    private static HttpResponse<String> call(HttpClient http, TestStack stack, String name, String[] call)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(stack.agentUrl() + call[1]))
                .header("X-Test-Id", "tests/integration/passthrough/test_endpoints.py::test_" + name)
                .header("content-type", "application/json");
        request = call[2] == null ? request.GET() : request.POST(HttpRequest.BodyPublishers.ofString(call[2]));
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void givenCallsOfEndpointsWithNoLlamaStackShape_whenRecordedThenReplayedOffline_thenEachAnswersTheSame()
            throws Exception {
        HttpClient http =
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpServer server = upstream();
        List<Route> routes = List.of(new Route(
                "openai",
                "/",
                URI.create("http://127.0.0.1:" + server.getAddress().getPort()),
                "http://localhost:8000/v1"));
        Map<String, HttpResponse<String>> recorded = new LinkedHashMap<>();
        try (TestStack stack = new TestStack(dir, routes, AgentMode.RECORD)) {
            for (Map.Entry<String, String[]> call : CALLS.entrySet()) {
                recorded.put(call.getKey(), call(http, stack, call.getKey(), call.getValue()));
            }
            stack.awaitFixtures(CALLS.size());
            assertThat(stack.written).hasSize(CALLS.size());
        } finally {
            server.stop(0);
        }
        assertThat(recorded.get("image_stream").body()).isEqualTo(IMAGE_EVENTS);

        try (TestStack replay = new TestStack(dir, routes, AgentMode.REPLAY)) {
            for (Map.Entry<String, String[]> call : CALLS.entrySet()) {
                HttpResponse<String> answer = call(http, replay, call.getKey(), call.getValue());
                HttpResponse<String> original = recorded.get(call.getKey());
                assertThat(answer.statusCode()).as(call.getKey()).isEqualTo(200);
                assertThat(answer.headers().firstValue("X-Tapeline-Replay"))
                        .as(call.getKey())
                        .isPresent();
                if (call.getKey().equals("image_stream")) {
                    assertThat(answer.body()).isEqualTo(original.body());
                } else {
                    assertThat(JSON.readTree(answer.body()))
                            .as(call.getKey())
                            .isEqualTo(JSON.readTree(original.body()));
                }
            }
        }
    }
}
