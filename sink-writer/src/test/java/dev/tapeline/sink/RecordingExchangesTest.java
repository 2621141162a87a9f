package dev.tapeline.sink;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapeline.fixture.FixtureProfile;
import dev.tapeline.fixture.FixtureRenderer;
import dev.tapeline.fixture.FixtureRenderer.RenderedFixture;
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
import org.junit.jupiter.api.Test;

/**
 * Golden test: a streamed recording as it arrives on the topic renders to the bytes CPython
 * produces under llama-stack's recorder rules for the same exchange (generated once into
 * {@code src/test/resources/golden}; the chunks are in the field order the SDK dumps).
 */
class RecordingExchangesTest {

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = RecordingExchangesTest.class.getResourceAsStream("/golden/" + name)) {
            return in.readAllBytes();
        }
    }

    static Recording goldenRecording() throws IOException {
        List<RecordedChunk> chunks = new ArrayList<>();
        long offset = 0;
        for (String line : new String(resource("stream-chunks.txt"), StandardCharsets.UTF_8).split("\n")) {
            chunks.add(new RecordedChunk(offset += 1000, null, ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8))));
        }
        chunks.add(new RecordedChunk(offset + 1000, null, ByteBuffer.wrap("[DONE]".getBytes(StandardCharsets.UTF_8))));
        return Recording.newBuilder()
                .setFixtureKey("623549a55f7bfe9cc41440527286215dbf8ebbc6d343018aac69f4bc7538084e")
                .setCompletionId("c-1").setAgentId("agent")
                .setTestId("tests/integration/inference/test_tapeline.py::test_stream[txt=tapeline/sim-1]")
                .setStartedAtMs(Instant.EPOCH).setOutcome(Outcome.COMPLETED).setDurationNanos(1)
                .setRequest(RecordedRequest.newBuilder().setMethod("POST")
                        .setUrl("http://localhost:8000/v1/v1/chat/completions").setEndpoint("/v1/chat/completions")
                        .setHeaders(List.of()).setBody(ByteBuffer.wrap(resource("stream-request.json")))
                        .setClientSdkVersion("2.5.0").build())
                .setResponse(RecordedResponse.newBuilder().setStatus(200).setHeaders(List.of())
                        .setFraming(Framing.SSE).setChunks(chunks).build())
                .build();
    }

    @Test
    void givenStreamedRecording_whenRendered_thenByteIdenticalToPythonGolden() throws IOException {
        RenderedFixture fixture = new FixtureRenderer(FixtureProfile.CURRENT)
                .render(RecordingExchanges.toExchange(goldenRecording()));

        assertThat(fixture.relativePath()).isEqualTo(new String(resource("stream-expected.path"), StandardCharsets.UTF_8));
        assertThat(new String(fixture.content(), StandardCharsets.UTF_8))
                .isEqualTo(new String(resource("stream-expected.json"), StandardCharsets.UTF_8));
    }

    private static Recording brokenOff(Outcome outcome, String reason) throws IOException {
        Recording recording = goldenRecording();
        recording.setOutcome(outcome);
        recording.setOutcomeReason(reason);
        return recording;
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', value = {
        "FAILED     | UPSTREAM_RESET: upstream connection failed mid-response | RemoteProtocolError",
        "FAILED     | TIMEOUT: no answer in 60s                              | ReadTimeout",
        "FAILED     | UPSTREAM_ERROR: upstream unreachable: refused            | APIConnectionError",
        "FAILED     | CLIENT_DISCONNECT: client closed the connection          | CancelledError",
        "INCOMPLETE | no event for PT10M (client gone, upstream stalled or agent died); 3 chunks received | ReadTimeout"})
    void givenAnExchangeThatBrokeOff_whenItsInterruptionIsRead_thenThePythonExceptionTheClientSawWithTheReason(
            Outcome outcome, String reason, String type) throws IOException {
        FixtureRenderer.Interruption interruption = RecordingExchanges.interruption(brokenOff(outcome, reason));

        assertThat(interruption).isEqualTo(new FixtureRenderer.Interruption(type, reason));
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {
        "CAPTURE_LOST: journal full; 3 of the exchange's events not kept",
        "UNKNOWN: capture stopped: queue closed",
        "recording of 200000000 bytes exceeds the recordings topic's limit of 134217728 bytes"})
    void givenARecordingMissingWhatTheClientGot_whenItsInterruptionIsRead_thenNoneSoItIsNeverWritten(String reason)
            throws IOException {
        assertThat(RecordingExchanges.interruption(brokenOff(Outcome.FAILED, reason))).isNull();
    }
}
