package dev.tapeline.sink;

import dev.tapeline.schema.Framing;
import dev.tapeline.schema.Outcome;
import dev.tapeline.schema.RecordedChunk;
import dev.tapeline.schema.RecordedRequest;
import dev.tapeline.schema.RecordedResponse;
import dev.tapeline.schema.Recording;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A streamed recording as it arrives on the topic, whose fixture CPython produced once under
 * llama-stack's recorder rules ({@code src/test/resources/golden}). Shared with the application's
 * tests (this module's test jar).
 */
public final class GoldenRecording {

    private GoldenRecording() {}

    static byte[] resource(String name) throws IOException {
        try (InputStream in = GoldenRecording.class.getResourceAsStream("/golden/" + name)) {
            return in.readAllBytes();
        }
    }

    /** A streamed chat completion as the recordings topic carries it. */
    public static Recording streamed() throws IOException {
        List<RecordedChunk> chunks = new ArrayList<>();
        long offset = 0;
        for (String line : new String(resource("stream-chunks.txt"), StandardCharsets.UTF_8).split("\n")) {
            chunks.add(new RecordedChunk(offset += 1000, null, ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8))));
        }
        chunks.add(new RecordedChunk(offset + 1000, null, ByteBuffer.wrap("[DONE]".getBytes(StandardCharsets.UTF_8))));
        return Recording.newBuilder()
                .setFixtureKey("623549a55f7bfe9cc41440527286215dbf8ebbc6d343018aac69f4bc7538084e")
                .setCompletionId("c-1")
                .setAgentId("agent")
                .setTestId("tests/integration/inference/test_tapeline.py::test_stream[txt=tapeline/sim-1]")
                .setStartedAtMs(Instant.EPOCH)
                .setOutcome(Outcome.COMPLETED)
                .setDurationNanos(1)
                .setRequest(RecordedRequest.newBuilder()
                        .setMethod("POST")
                        .setUrl("http://localhost:8000/v1/v1/chat/completions")
                        .setEndpoint("/v1/chat/completions")
                        .setHeaders(List.of())
                        .setBody(ByteBuffer.wrap(resource("stream-request.json")))
                        .setClientSdkVersion("2.5.0")
                        .build())
                .setResponse(RecordedResponse.newBuilder()
                        .setStatus(200)
                        .setHeaders(List.of())
                        .setFraming(Framing.SSE)
                        .setChunks(chunks)
                        .build())
                .build();
    }
}
