package dev.tapeline.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.tapeline.fixture.python.PyJson;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * OpenAI and Anthropic as their APIs answer, for tests of real clients: chat completions (a
 * stream ends with a usage chunk when {@code stream_options.include_usage} asks, then
 * {@code [DONE]}), the Responses API (typed SSE events, each with its {@code event:} line),
 * embeddings (floats, or base64 where asked) and Anthropic Messages (typed SSE events). Streams go
 * out event by event, flushed. The answers are the same for every request: "Hello there!".
 */
final class ProviderUpstream implements AutoCloseable {

    static final String MODEL = "gpt-4.1-mini-2025-04-14";
    static final String CLAUDE = "claude-sonnet-4-5-20250929";
    private static final String CREATED = "\"created\":1755280000";
    private static final String CHAT_USAGE = "{\"prompt_tokens\":14,\"completion_tokens\":4,\"total_tokens\":18,"
            + "\"prompt_tokens_details\":{\"cached_tokens\":0,\"audio_tokens\":0},\"completion_tokens_details\":"
            + "{\"reasoning_tokens\":0,\"audio_tokens\":0,\"accepted_prediction_tokens\":0,"
            + "\"rejected_prediction_tokens\":0}}";
    private static final float[] EMBEDDING = {0.0123f, -0.5f, 0.25f, 0.875f};

    private final HttpServer server;
    private final String responsesStream;
    private final String responsesSingle;
    private final boolean changed;

    private ProviderUpstream(HttpServer server, boolean changed) throws IOException {
        this.server = server;
        this.changed = changed;
        this.responsesStream = golden("responses-stream.txt");
        this.responsesSingle = golden("responses-single.json").strip();
    }

    static ProviderUpstream start() throws IOException {
        return start(false);
    }

    /**
     * @param changed answers as the provider might after a change: every JSON object it sends at the
     *     top has a new field ({@code "moderation": {"flagged": false}}), its usage's
     *     {@code total_tokens} is a string, and its model is a newer one
     */
    static ProviderUpstream start(boolean changed) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        ProviderUpstream upstream = new ProviderUpstream(server, changed);
        server.createContext("/", upstream::answer);
        server.start();
        return upstream;
    }

    /** A JSON document as this upstream sends it: unchanged, or changed as {@link #start(boolean)} says. */
    private String sent(String json) {
        if (!changed || !json.startsWith("{")) {
            return json;
        }
        com.fasterxml.jackson.databind.node.ObjectNode node =
                (com.fasterxml.jackson.databind.node.ObjectNode) PyJson.parse(json);
        node.putObject("moderation").put("flagged", false);
        if (node.path("usage").path("total_tokens").isNumber()) {
            ((com.fasterxml.jackson.databind.node.ObjectNode) node.get("usage"))
                    .put("total_tokens", node.get("usage").get("total_tokens").asText());
        }
        if (node.has("model")) {
            node.put("model", node.get("model").asText() + "-v2");
        }
        return node.toString();
    }

    /** The Responses API stream this upstream sends, as sent. */
    String responsesStream() {
        return responsesStream;
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private static String golden(String name) throws IOException {
        try (InputStream in = ProviderUpstream.class.getResourceAsStream("/golden/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private void answer(HttpExchange exchange) throws IOException {
        JsonNode body = PyJson.parse(exchange.getRequestBody().readAllBytes());
        boolean stream = body.path("stream").asBoolean(false);
        switch (exchange.getRequestURI().getPath()) {
            case "/v1/chat/completions" -> {
                if (stream) {
                    sse(
                            exchange,
                            chatChunks(body.path("stream_options")
                                    .path("include_usage")
                                    .asBoolean(false)));
                } else {
                    json(exchange, chatCompletion());
                }
            }
            case "/v1/responses" -> {
                if (stream) {
                    sse(exchange, List.of(responsesStream.split("(?<=\n\n)")));
                } else {
                    json(exchange, responsesSingle);
                }
            }
            case "/v1/embeddings" ->
                json(
                        exchange,
                        embeddings("base64".equals(body.path("encoding_format").asText())));
            case "/v1/messages" -> {
                if (stream) {
                    sse(exchange, messageEvents());
                } else {
                    json(exchange, message());
                }
            }
            default -> {
                exchange.sendResponseHeaders(404, -1);
                exchange.close();
            }
        }
    }

    private static String chatCompletion() {
        return "{\"id\":\"chatcmpl-B9x\",\"object\":\"chat.completion\"," + CREATED + ",\"model\":\"" + MODEL
                + "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hello there!\","
                + "\"refusal\":null,\"annotations\":[]},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":"
                + CHAT_USAGE + ",\"service_tier\":\"default\",\"system_fingerprint\":\"fp_6f2eabb9a5\"}";
    }

    private static List<String> chatChunks(boolean usage) {
        List<String> events = new ArrayList<>();
        String head = "{\"id\":\"chatcmpl-B9y\",\"object\":\"chat.completion.chunk\"," + CREATED + ",\"model\":\""
                + MODEL + "\",\"service_tier\":\"default\",\"system_fingerprint\":\"fp_6f2eabb9a5\",\"choices\":";
        String tail = usage ? ",\"usage\":null}" : "}";
        events.add(head + "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},"
                + "\"logprobs\":null,\"finish_reason\":null}]" + tail);
        for (String piece : new String[] {"Hello", " there!"}) {
            events.add(head + "[{\"index\":0,\"delta\":{\"content\":\"" + piece
                    + "\"},\"logprobs\":null,\"finish_reason\":null}]" + tail);
        }
        events.add(head + "[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}]" + tail);
        if (usage) {
            events.add(head + "[],\"usage\":" + CHAT_USAGE + "}");
        }
        events.add("[DONE]");
        return events.stream().map(data -> "data: " + data + "\n\n").toList();
    }

    private static String embeddings(boolean base64) {
        String vector;
        if (base64) {
            ByteBuffer bytes = ByteBuffer.allocate(EMBEDDING.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (float value : EMBEDDING) {
                bytes.putFloat(value);
            }
            vector = "\"" + Base64.getEncoder().encodeToString(bytes.array()) + "\"";
        } else {
            StringBuilder floats = new StringBuilder("[");
            for (int i = 0; i < EMBEDDING.length; i++) {
                floats.append(i == 0 ? "" : ",").append(EMBEDDING[i]);
            }
            vector = floats.append("]").toString();
        }
        return "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,\"embedding\":" + vector
                + "}],\"model\":\"text-embedding-3-small\",\"usage\":{\"prompt_tokens\":6,\"total_tokens\":6}}";
    }

    private static String message() {
        return "{\"id\":\"msg_01XFDUDYJgAACzvnptvVoYEL\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\""
                + CLAUDE + "\",\"content\":[{\"type\":\"text\",\"text\":\"Hello there!\"}],\"stop_reason\":"
                + "\"end_turn\",\"stop_sequence\":null,\"usage\":{\"input_tokens\":14,\"cache_creation_input_tokens\":0,"
                + "\"cache_read_input_tokens\":0,\"output_tokens\":6,\"service_tier\":\"standard\"}}";
    }

    private static List<String> messageEvents() {
        List<String> events = new ArrayList<>();
        events.add(event(
                "message_start",
                "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_01XFDUDYJgAACzvnptvVoYEM\",\"type\":"
                        + "\"message\",\"role\":\"assistant\",\"model\":\"" + CLAUDE + "\",\"content\":[],"
                        + "\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":14,"
                        + "\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":1,"
                        + "\"service_tier\":\"standard\"}}}"));
        events.add(event(
                "content_block_start",
                "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}"));
        events.add(event("ping", "{\"type\": \"ping\"}"));
        for (String piece : new String[] {"Hello", " there!"}) {
            events.add(event(
                    "content_block_delta",
                    "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\""
                            + piece + "\"}}"));
        }
        events.add(event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}"));
        events.add(event(
                "message_delta",
                "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},"
                        + "\"usage\":{\"output_tokens\":6}}"));
        events.add(event("message_stop", "{\"type\":\"message_stop\"}"));
        return events;
    }

    private static String event(String name, String data) {
        return "event: " + name + "\ndata: " + data + "\n\n";
    }

    private void json(HttpExchange exchange, String body) throws IOException {
        byte[] bytes = sent(body).getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("content-type", "application/json");
        exchange.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** A stream, event by event, each flushed as it goes. */
    private void sse(HttpExchange exchange, List<String> events) throws IOException {
        exchange.getResponseHeaders().add("content-type", "text/event-stream; charset=utf-8");
        exchange.sendResponseHeaders(200, 0);
        try (OutputStream out = exchange.getResponseBody()) {
            for (String event : events) {
                StringBuilder changedEvent = new StringBuilder();
                for (String line : event.split("\n", -1)) {
                    changedEvent.append(line.startsWith("data: ") ? "data: " + sent(line.substring(6)) : line);
                    changedEvent.append('\n');
                }
                event = changedEvent.substring(0, changedEvent.length() - 1);
                out.write(event.getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
