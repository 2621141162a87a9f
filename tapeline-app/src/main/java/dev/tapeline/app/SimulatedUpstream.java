package dev.tapeline.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;

/**
 * A deterministic OpenAI-compatible upstream for the demo and tests: chat completions (SSE or
 * JSON), completions, embeddings and the model list, answered without any network or key, and
 * compressed for clients that send {@code Accept-Encoding}. The
 * reply to a chat is derived from the last user message. Remembers what it sent (the last 1,000
 * exchanges), so a test can compare with what the client received. Request headers make it
 * misbehave as providers do:
 * <ul>
 * <li>{@code X-Sim-Break-After: N}: a stream breaks off after N events (the connection is reset);</li>
 * <li>{@code X-Sim-Stall-After: N}: a stream sends N events, then nothing, keeping the connection open;</li>
 * <li>{@code X-Sim-Hang: true}: no answer at all;</li>
 * <li>{@code X-Sim-Status: S}: an OpenAI-style error with status S;</li>
 * <li>{@code X-Sim-Chunk-Interval: MS}: this stream's events MS milliseconds apart.</li>
 * </ul>
 */
public final class SimulatedUpstream implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long CREATED = 1_764_115_200L;

    /**
     * One exchange as the upstream saw it.
     *
     * @param acceptEncoding the client's Accept-Encoding (the answer was compressed when it allows), or null
     * @param responseBody   the answer before compression
     */
    public record Served(String path, byte[] requestBody, String acceptEncoding, String responseBody) {}

    private final Vertx vertx;
    private final HttpServer server;
    private final long chunkIntervalMillis;
    private final ConcurrentLinkedDeque<Served> served = new ConcurrentLinkedDeque<>();

    private SimulatedUpstream(Vertx vertx, HttpServer server, long chunkIntervalMillis) {
        this.vertx = vertx;
        this.server = server;
        this.chunkIntervalMillis = chunkIntervalMillis;
    }

    /** Starts on 127.0.0.1, any free port; streamed chunks are spaced by the given interval. */
    public static SimulatedUpstream start(long chunkIntervalMillis) {
        Vertx vertx = Vertx.vertx();
        SimulatedUpstream[] self = new SimulatedUpstream[1];
        // compresses answers for clients that accept gzip or deflate, as providers do
        HttpServer server = vertx.createHttpServer(
                        new io.vertx.core.http.HttpServerOptions().setCompressionSupported(true))
                .requestHandler(req -> self[0].handle(req));
        self[0] = new SimulatedUpstream(vertx, server, chunkIntervalMillis);
        try {
            server.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            vertx.close();
            throw new IllegalStateException("simulated upstream did not start", e);
        }
        return self[0];
    }

    public String url() {
        return "http://127.0.0.1:" + server.actualPort();
    }

    /** Exchanges served so far, oldest first. */
    public List<Served> served() {
        return new ArrayList<>(served);
    }

    private void handle(HttpServerRequest request) {
        request.body().onSuccess(body -> {
            try {
                route(request, body);
            } catch (RuntimeException e) {
                respond(
                        request,
                        body,
                        400,
                        "{\"error\":{\"message\":\"" + e.getMessage().replace("\"", "'")
                                + "\",\"type\":\"invalid_request_error\"}}");
            }
        });
    }

    private void route(HttpServerRequest request, Buffer body) {
        String path = request.path();
        if ("true".equals(request.getHeader("X-Sim-Hang"))) {
            remember(request, body, "");
            return;
        }
        String status = request.getHeader("X-Sim-Status");
        if (status != null) {
            respond(
                    request,
                    body,
                    Integer.parseInt(status.trim()),
                    "{\"error\":{\"message\":\"Simulated failure " + status.trim()
                            + "\",\"type\":\"server_error\",\"param\":null,\"code\":null}}");
            return;
        }
        if (path.endsWith("/models") && request.method().name().equals("GET")) {
            respond(request, body, 200, models().toString());
            return;
        }
        JsonNode json = body.length() == 0
                ? JSON.createObjectNode()
                : dev.tapeline.fixture.python.PyJson.parse(body.getBytes());
        String model = json.path("model").asText("sim-1");
        if (path.endsWith("/chat/completions")) {
            List<String> words = words(lastUserMessage(json));
            String id = "chatcmpl-" + digest(body.getBytes()).substring(0, 24);
            if (json.path("stream").asBoolean(false)) {
                List<String> events = chatChunks(id, model, words);
                String breakAfter = request.getHeader("X-Sim-Break-After");
                String stallAfter = request.getHeader("X-Sim-Stall-After");
                String interval = request.getHeader("X-Sim-Chunk-Interval");
                Ending ending = breakAfter != null ? Ending.RESET : stallAfter != null ? Ending.STALL : Ending.END;
                String cut = breakAfter != null ? breakAfter : stallAfter;
                stream(
                        request,
                        body,
                        cut == null ? events : events.subList(0, Math.min(events.size(), Integer.parseInt(cut.trim()))),
                        ending,
                        interval == null ? chunkIntervalMillis : Long.parseLong(interval.trim()));
            } else {
                respond(request, body, 200, chatCompletion(id, model, words).toString());
            }
        } else if (path.endsWith("/completions")) {
            ObjectNode completion = JSON.createObjectNode()
                    .put("id", "cmpl-" + digest(body.getBytes()).substring(0, 24))
                    .put("object", "text_completion")
                    .put("created", CREATED)
                    .put("model", model);
            completion
                    .putArray("choices")
                    .addObject()
                    .put("text", " " + String.join("", words(json.path("prompt").asText())))
                    .put("index", 0)
                    .putNull("logprobs")
                    .put("finish_reason", "stop");
            respond(request, body, 200, completion.toString());
        } else if (path.endsWith("/embeddings")) {
            respond(request, body, 200, embeddings(json, model).toString());
        } else {
            respond(
                    request,
                    body,
                    404,
                    "{\"error\":{\"message\":\"Unknown path " + path + "\",\"type\":\"invalid_request_error\"}}");
        }
    }

    private void respond(HttpServerRequest request, Buffer body, int status, String text) {
        remember(request, body, text);
        request.response()
                .setStatusCode(status)
                .putHeader("Content-Type", "application/json")
                .putHeader(
                        "x-request-id",
                        "req_" + digest(text.getBytes(StandardCharsets.UTF_8)).substring(0, 16))
                .end(text);
    }

    /** How a stream ends once its events are sent. */
    private enum Ending {
        END,
        RESET,
        STALL
    }

    private void stream(
            HttpServerRequest request, Buffer body, List<String> events, Ending ending, long intervalMillis) {
        StringBuilder all = new StringBuilder();
        events.forEach(all::append);
        remember(request, body, all.toString());
        HttpServerResponse response = request.response()
                .setChunked(true)
                .putHeader("Content-Type", "text/event-stream; charset=utf-8")
                .putHeader("Cache-Control", "no-cache");
        writeFrom(response, events, 0, ending, intervalMillis);
    }

    private void writeFrom(
            HttpServerResponse response, List<String> events, int index, Ending ending, long intervalMillis) {
        if (response.closed()) {
            return;
        }
        if (index == events.size()) {
            switch (ending) {
                // what the client has must have left before the connection goes
                case RESET -> vertx.setTimer(50, t -> response.reset());
                case END -> response.end();
                case STALL -> {}
            }
            return;
        }
        response.write(events.get(index));
        if (intervalMillis > 0) {
            vertx.setTimer(intervalMillis, t -> writeFrom(response, events, index + 1, ending, intervalMillis));
        } else {
            writeFrom(response, events, index + 1, ending, intervalMillis);
        }
    }

    private void remember(HttpServerRequest request, Buffer body, String text) {
        served.add(new Served(request.path(), body.getBytes(), request.getHeader("Accept-Encoding"), text));
        while (served.size() > 1000) {
            served.pollFirst();
        }
    }

    private static List<String> chatChunks(String id, String model, List<String> words) {
        List<String> events = new ArrayList<>();
        events.add(sse(chunk(
                id, model, JSON.createObjectNode().put("role", "assistant").put("content", ""), null)));
        for (String word : words) {
            events.add(sse(chunk(id, model, JSON.createObjectNode().put("content", word), null)));
        }
        events.add(sse(chunk(id, model, JSON.createObjectNode(), "stop")));
        events.add("data: [DONE]\n\n");
        return events;
    }

    private static String sse(JsonNode data) {
        return "data: " + data + "\n\n";
    }

    private static ObjectNode chunk(String id, String model, ObjectNode delta, String finishReason) {
        ObjectNode chunk = JSON.createObjectNode()
                .put("id", id)
                .put("object", "chat.completion.chunk")
                .put("created", CREATED)
                .put("model", model)
                .put("system_fingerprint", "fp_tapeline_sim");
        ObjectNode choice = chunk.putArray("choices").addObject().put("index", 0);
        choice.set("delta", delta);
        choice.putNull("logprobs");
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
        return chunk;
    }

    private static ObjectNode chatCompletion(String id, String model, List<String> words) {
        ObjectNode completion = JSON.createObjectNode()
                .put("id", id)
                .put("object", "chat.completion")
                .put("created", CREATED)
                .put("model", model);
        ObjectNode choice = completion.putArray("choices").addObject().put("index", 0);
        choice.putObject("message")
                .put("role", "assistant")
                .put("content", String.join("", words))
                .putNull("refusal");
        choice.putNull("logprobs");
        choice.put("finish_reason", "stop");
        completion
                .putObject("usage")
                .put("prompt_tokens", 12)
                .put("completion_tokens", words.size())
                .put("total_tokens", 12 + words.size());
        completion.put("system_fingerprint", "fp_tapeline_sim");
        return completion;
    }

    private static ObjectNode embeddings(JsonNode request, String model) {
        ObjectNode response = JSON.createObjectNode().put("object", "list");
        ArrayNode data = response.putArray("data");
        JsonNode input = request.path("input");
        List<String> inputs = new ArrayList<>();
        if (input.isArray()) {
            input.forEach(i -> inputs.add(i.asText()));
        } else {
            inputs.add(input.asText());
        }
        for (int i = 0; i < inputs.size(); i++) {
            ObjectNode item = data.addObject().put("object", "embedding");
            ArrayNode vector = item.putArray("embedding");
            byte[] hash = digestBytes(inputs.get(i).getBytes(StandardCharsets.UTF_8));
            for (int d = 0; d < 8; d++) {
                vector.add((hash[d] / 128.0) * 0.25);
            }
            item.put("index", i);
        }
        response.put("model", model);
        response.putObject("usage").put("prompt_tokens", inputs.size() * 4).put("total_tokens", inputs.size() * 4);
        return response;
    }

    private static ObjectNode models() {
        ObjectNode list = JSON.createObjectNode().put("object", "list");
        ArrayNode data = list.putArray("data");
        for (String id : new String[] {"sim-1", "sim-embed-1"}) {
            data.addObject()
                    .put("id", id)
                    .put("object", "model")
                    .put("created", CREATED)
                    .put("owned_by", "tapeline");
        }
        return list;
    }

    private static String lastUserMessage(JsonNode request) {
        String last = "";
        for (JsonNode message : request.path("messages")) {
            if (message.path("role").asText().equals("user")) {
                JsonNode content = message.path("content");
                last = content.isTextual() ? content.asText() : content.toString();
            }
        }
        return last;
    }

    /** The reply: a fixed preamble, then the user's words, each a chunk with its leading space. */
    private static List<String> words(String message) {
        List<String> words = new ArrayList<>(List.of("Simulated", " reply", " to:"));
        for (String word : message.trim().split("\\s+")) {
            if (!word.isEmpty()) {
                words.add(" " + word);
            }
        }
        return words;
    }

    private static String digest(byte[] bytes) {
        return java.util.HexFormat.of().formatHex(digestBytes(bytes));
    }

    private static byte[] digestBytes(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        try {
            vertx.close().await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // stopping a test double: nothing to report
        }
    }
}
