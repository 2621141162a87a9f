package dev.tapeline.otel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapeline.schema.FailureReason;
import dev.tapeline.schema.Framing;
import dev.tapeline.schema.Outcome;
import dev.tapeline.schema.RecordedChunk;
import dev.tapeline.schema.RecordedRequest;
import dev.tapeline.schema.RecordedResponse;
import dev.tapeline.schema.Recording;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExchangeFactsTest {

    private static Recording recording(
            String endpoint, String body, Framing framing, Outcome outcome, String... chunks) {
        List<RecordedChunk> recorded = new ArrayList<>();
        long offset = 0;
        for (String chunk : chunks) {
            recorded.add(new RecordedChunk(
                    offset += 1_000_000, null, ByteBuffer.wrap(chunk.getBytes(StandardCharsets.UTF_8))));
        }
        return Recording.newBuilder()
                .setFixtureKey("k")
                .setCompletionId("c-1")
                .setAgentId("agent")
                .setTestId(null)
                .setStartedAtMs(Instant.EPOCH)
                .setOutcome(outcome)
                .setFailureReason(outcome == Outcome.FAILED ? FailureReason.UPSTREAM_RESET : null)
                .setDurationNanos(5_000_000)
                .setRequest(RecordedRequest.newBuilder()
                        .setMethod("POST")
                        .setUrl("http://localhost" + endpoint)
                        .setEndpoint(endpoint)
                        .setHeaders(List.of())
                        .setBody(ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)))
                        .build())
                .setResponse(RecordedResponse.newBuilder()
                        .setStatus(200)
                        .setHeaders(List.of())
                        .setFraming(framing)
                        .setChunks(recorded)
                        .build())
                .build();
    }

    @Test
    void givenAnAnthropicStream_whenRead_thenIdModelStopReasonAndTheLastUsage() {
        ExchangeFacts facts = ExchangeFacts.of(
                recording(
                        "/v1/messages",
                        "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":64,\"messages\":[]}",
                        Framing.SSE,
                        Outcome.COMPLETED,
                        "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"model\":\"claude-sonnet-4-5-20250929\","
                                + "\"usage\":{\"input_tokens\":14,\"output_tokens\":1}}}",
                        "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello\"}}",
                        "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":6}}"));

        assertThat(facts.provider()).isEqualTo("anthropic");
        assertThat(facts.operation()).isEqualTo("chat");
        assertThat(facts.responseId()).isEqualTo("msg_1");
        assertThat(facts.responseModel()).isEqualTo("claude-sonnet-4-5-20250929");
        assertThat(facts.finishReasons()).containsExactly("end_turn");
        assertThat(facts.inputTokens()).isEqualTo(14);
        assertThat(facts.outputTokens()).isEqualTo(6);
        assertThat(facts.parameters()).containsEntry("max_tokens", 64.0);
        assertThat(facts.outputText()).isEqualTo("Hello");
        assertThat(facts.chunkOffsetsNanos()).containsExactly(1_000_000L, 2_000_000L, 3_000_000L);
    }

    @Test
    void givenAnOllamaGenerate_whenRead_thenItsCountsAndDoneReasonAndItsOptions() {
        ExchangeFacts facts = ExchangeFacts.of(recording(
                "/api/generate",
                "{\"model\":\"llama3.2:3b\",\"prompt\":\"Hi\",\"options\":{\"temperature\":0.1}}",
                Framing.BODY,
                Outcome.COMPLETED,
                "{\"model\":\"llama3.2:3b\",\"response\":\"Hello\",\"done\":true,\"done_reason\":\"stop\","
                        + "\"prompt_eval_count\":26,\"eval_count\":9}"));

        assertThat(facts.provider()).isEqualTo("ollama");
        assertThat(facts.operation()).isEqualTo("text_completion");
        assertThat(facts.finishReasons()).containsExactly("stop");
        assertThat(facts.inputTokens()).isEqualTo(26);
        assertThat(facts.outputTokens()).isEqualTo(9);
        assertThat(facts.parameters()).containsEntry("temperature", 0.1);
        assertThat(facts.outputText()).isEqualTo("Hello");
        assertThat(facts.errorType()).isNull();
    }

    @Test
    void givenAnEmbeddingThatBrokeOff_whenRead_thenTheErrorTypeIsWhyAndNoOutputTokens() {
        ExchangeFacts facts = ExchangeFacts.of(recording(
                "/v1/embeddings",
                "{\"model\":\"text-embedding-3-small\",\"input\":\"Hi\"}",
                Framing.BODY,
                Outcome.FAILED));

        assertThat(facts.operation()).isEqualTo("embeddings");
        assertThat(facts.errorType()).isEqualTo("UPSTREAM_RESET");
        assertThat(facts.inputTokens()).isEqualTo(-1);
        assertThat(facts.outputTokens()).isEqualTo(-1);
    }

    @Test
    void givenTheSameCompletionId_whenSpanIdsDerived_thenTheSameIdsOfTheRightLengths() {
        assertThat(GenAiSpans.traceId("c-1")).hasSize(32).isEqualTo(GenAiSpans.traceId("c-1"));
        assertThat(GenAiSpans.spanId("c-1")).hasSize(16).isNotEqualTo(GenAiSpans.spanId("c-2"));
    }
}
