package dev.tapeline.otel;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tapeline.fixture.EndpointKind;
import dev.tapeline.fixture.python.PyJson;
import dev.tapeline.fixture.wire.Framings;
import dev.tapeline.schema.Buffers;
import dev.tapeline.schema.Outcome;
import dev.tapeline.schema.RecordedChunk;
import dev.tapeline.schema.Recording;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What OpenTelemetry's GenAI conventions ask of one recorded exchange, read from the recording:
 * the operation and provider (from the endpoint), the request's model and parameters, the answer's
 * model, id, finish reasons and token usage (from whichever of its documents report them: a whole
 * answer, or a stream's chunks, whatever the API family names them), the HTTP status, why it failed,
 * and when each chunk arrived.
 *
 * @param operation       {@code gen_ai.operation.name}: chat, text_completion, embeddings, generate_content
 * @param provider        {@code gen_ai.provider.name}: openai, anthropic, gcp.vertex_ai, ollama
 * @param requestModel    the model asked for, or null
 * @param parameters      the request parameters the conventions name (temperature, max_tokens…), as numbers
 * @param responseModel   the model that answered, or null
 * @param responseId      the answer's id, or null
 * @param finishReasons   why each choice ended (finish_reason, stop_reason, finishReason, done_reason, status)
 * @param inputTokens     tokens read, or -1 where the provider sent none
 * @param outputTokens    tokens written, or -1
 * @param status          the upstream's HTTP status (0: none)
 * @param errorType       {@code error.type} of a failed exchange (the HTTP status, or why it broke off), or null
 * @param streamed        whether the answer was a stream
 * @param chunkOffsetsNanos when each chunk of a stream arrived, after the request
 * @param inputMessages   the request's messages (or input, prompt) as sent, or null
 * @param outputText      the answer's text, or empty
 */
record ExchangeFacts(
        String operation,
        String provider,
        String requestModel,
        Map<String, Double> parameters,
        String responseModel,
        String responseId,
        List<String> finishReasons,
        long inputTokens,
        long outputTokens,
        int status,
        String errorType,
        boolean streamed,
        List<Long> chunkOffsetsNanos,
        JsonNode inputMessages,
        String outputText) {

    /** Request parameters the conventions name: {@code gen_ai.request.<name>} ← the body's fields. */
    private static final Map<String, List<String>> PARAMETERS = Map.of(
            "temperature", List.of("temperature"),
            "top_p", List.of("top_p"),
            "max_tokens", List.of("max_tokens", "max_completion_tokens", "max_output_tokens"),
            "frequency_penalty", List.of("frequency_penalty"),
            "presence_penalty", List.of("presence_penalty"),
            "seed", List.of("seed"));

    private static final Set<String> FINISH = Set.of("finish_reason", "stop_reason", "finishReason", "done_reason");
    private static final List<String> INPUT_TOKENS =
            List.of("prompt_tokens", "input_tokens", "promptTokenCount", "prompt_eval_count");
    private static final List<String> OUTPUT_TOKENS =
            List.of("completion_tokens", "output_tokens", "candidatesTokenCount", "eval_count");

    static ExchangeFacts of(Recording recording) {
        String endpoint = recording.getRequest().getEndpoint();
        EndpointKind kind = EndpointKind.ofWire(endpoint);
        JsonNode body = json(Buffers.toArray(recording.getRequest().getBody()));
        List<JsonNode> answers = new ArrayList<>();
        List<Long> offsets = new ArrayList<>();
        boolean streamed = recording.getResponse().getFraming() != dev.tapeline.schema.Framing.BODY;
        for (RecordedChunk chunk : recording.getResponse().getChunks()) {
            byte[] data = Buffers.toArray(chunk.getData());
            if (Framings.isDone(data)) {
                continue;
            }
            offsets.add(chunk.getOffsetNanos());
            JsonNode answer = json(data);
            if (answer != null) {
                answers.add(answer);
            }
        }
        Reading reading = new Reading();
        answers.forEach(answer -> reading.walk(null, answer, 0));
        if (kind == EndpointKind.RESPONSES && streamed) {
            // its events repeat the text (deltas, then each part, item and response done): the deltas alone
            reading.text.setLength(0);
            answers.stream()
                    .filter(event -> "response.output_text.delta".equals(text(event.get("type"))))
                    .forEach(event -> reading.text.append(event.path("delta").asText()));
        }
        int status = recording.getResponse().getStatus();
        String errorType = null;
        if (recording.getOutcome() != Outcome.COMPLETED) {
            errorType = recording.getFailureReason() != null
                    ? recording.getFailureReason().name()
                    : recording.getOutcome().name();
        } else if (status >= 400) {
            errorType = String.valueOf(status);
        }
        return new ExchangeFacts(
                operation(kind, endpoint),
                provider(kind, endpoint),
                body == null ? null : text(body.get("model")),
                parameters(body),
                reading.model,
                reading.id,
                List.copyOf(reading.finishReasons),
                reading.inputTokens,
                reading.outputTokens,
                status,
                errorType,
                streamed,
                List.copyOf(offsets),
                body == null ? null : first(body, "messages", "input", "prompt", "contents"),
                reading.text.toString());
    }

    private static String operation(EndpointKind kind, String endpoint) {
        return switch (kind) {
            case CHAT, OLLAMA_CHAT, RESPONSES -> "chat";
            case COMPLETIONS, OLLAMA_GENERATE -> "text_completion";
            case EMBEDDINGS, OLLAMA_EMBED -> "embeddings";
            case GEMINI_GENERATE, GEMINI_STREAM -> "generate_content";
            default -> endpoint.endsWith("/messages") ? "chat" : "other";
        };
    }

    private static String provider(EndpointKind kind, String endpoint) {
        if (kind.isOllama()) {
            return "ollama";
        }
        if (kind.isGemini()) {
            return "gcp.vertex_ai";
        }
        if (endpoint.endsWith("/v1/messages")) {
            return "anthropic";
        }
        return "openai";
    }

    private static Map<String, Double> parameters(JsonNode body) {
        Map<String, Double> found = new java.util.TreeMap<>();
        if (body == null) {
            return found;
        }
        JsonNode options = body.path("options"); // Ollama's
        PARAMETERS.forEach((name, fields) -> {
            for (String field : fields) {
                JsonNode value = body.has(field) ? body.get(field) : options.get(field);
                if (value != null && value.isNumber()) {
                    found.put(name, value.doubleValue());
                    break;
                }
            }
        });
        return found;
    }

    private static JsonNode first(JsonNode body, String... fields) {
        for (String field : fields) {
            if (body.has(field)) {
                return body.get(field);
            }
        }
        return null;
    }

    private static JsonNode json(byte[] data) {
        if (data.length == 0) {
            return null;
        }
        try {
            return PyJson.parse(data);
        } catch (PyJson.InvalidJsonException e) {
            return null; // not JSON: no facts in it
        }
    }

    private static String text(JsonNode node) {
        return node != null && node.isTextual() ? node.textValue() : null;
    }

    /** The answer's facts, gathered over its documents; the first model and id win, the last usage. */
    private static final class Reading {
        String model;
        String id;
        final Set<String> finishReasons = new LinkedHashSet<>();
        long inputTokens = -1;
        long outputTokens = -1;
        final StringBuilder text = new StringBuilder();

        /** @param depth 0 for a document, 1 inside a wrapper ({@code response}, {@code message}) */
        void walk(String name, JsonNode node, int depth) {
            if (node.isObject()) {
                if (depth <= 1) {
                    if (model == null) {
                        model = text(node.get("model")) != null
                                ? text(node.get("model"))
                                : text(node.get("modelVersion"));
                    }
                    if (id == null) {
                        id = text(node.get("id")) != null ? text(node.get("id")) : text(node.get("responseId"));
                    }
                }
                node.fields().forEachRemaining(field -> {
                    String key = field.getKey();
                    JsonNode value = field.getValue();
                    if (FINISH.contains(key) && value.isTextual()) {
                        finishReasons.add(value.textValue());
                    }
                    if (INPUT_TOKENS.contains(key) && value.isIntegralNumber()) {
                        inputTokens = value.longValue();
                    }
                    if (OUTPUT_TOKENS.contains(key) && value.isIntegralNumber()) {
                        outputTokens = value.longValue();
                    }
                    boolean wrapper = key.equals("response") || key.equals("message");
                    walk(key, value, wrapper && value.isObject() ? depth + 1 : depth + 2);
                });
                boolean response = "response".equals(name) || "response".equals(text(node.get("object")));
                if (response && finishReasons.isEmpty() && node.path("status").isTextual()) {
                    // the Responses API names no finish reason: its response's status says how it ended
                    String status = node.get("status").textValue();
                    if (!status.equals("in_progress") && !status.equals("queued")) {
                        finishReasons.add(status);
                    }
                }
            } else if (node.isArray()) {
                node.forEach(item -> walk(name, item, depth));
            } else if (node.isTextual()
                    && name != null
                    && (name.equals("content")
                            || name.equals("text")
                            || name.equals("delta")
                            || name.equals("response"))) {
                text.append(node.textValue());
            }
        }
    }
}
