package dev.tapeline.sink;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapeline.fixture.FixtureProfile;
import dev.tapeline.fixture.Interruption;
import dev.tapeline.fixture.RenderedFixture;
import dev.tapeline.fixture.shape.FixtureRenderer;
import dev.tapeline.schema.Outcome;
import dev.tapeline.schema.Recording;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Golden test: a streamed recording as it arrives on the topic renders to the bytes CPython
 * produces under llama-stack's recorder rules for the same exchange (generated once into
 * {@code src/test/resources/golden}; the chunks are in the field order the SDK dumps).
 */
class RecordingExchangesTest {

    private static byte[] resource(String name) throws IOException {
        return GoldenRecording.resource(name);
    }

    private static Recording goldenRecording() throws IOException {
        return GoldenRecording.streamed();
    }

    @Test
    void givenStreamedRecording_whenRendered_thenByteIdenticalToPythonGolden() throws IOException {
        RenderedFixture fixture =
                new FixtureRenderer(FixtureProfile.CURRENT).render(RecordingExchanges.toExchange(goldenRecording()));

        assertThat(fixture.relativePath())
                .isEqualTo(new String(resource("stream-expected.path"), StandardCharsets.UTF_8));
        assertThat(new String(fixture.content(), StandardCharsets.UTF_8))
                .isEqualTo(new String(resource("stream-expected.json"), StandardCharsets.UTF_8));
    }

    /** A recording as the processor writes it: the agent's reason as a field, and in words. */
    private static Recording brokenOff(Outcome outcome, String reason) throws IOException {
        Recording recording = goldenRecording();
        recording.setOutcome(outcome);
        recording.setOutcomeReason(reason);
        String prefix = reason.contains(":") ? reason.substring(0, reason.indexOf(':')) : "";
        recording.setFailureReason(java.util.Arrays.stream(dev.tapeline.schema.FailureReason.values())
                .filter(r -> r.name().equals(prefix))
                .findFirst()
                .orElse(null));
        return recording;
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource(
            delimiter = '|',
            value = {
                "FAILED     | UPSTREAM_RESET: upstream connection failed mid-response | RemoteProtocolError",
                "FAILED     | UPSTREAM_TIMEOUT: the upstream sent nothing for 5m      | ReadTimeout",
                "FAILED     | AGENT_SHUTDOWN: the agent stopped                       | RemoteProtocolError",
                "FAILED     | UPSTREAM_ERROR: upstream unreachable: refused            | APIConnectionError",
                "FAILED     | CLIENT_DISCONNECT: client closed the connection          | CancelledError",
                "INCOMPLETE | no event for PT10M (client gone, upstream stalled or agent died); 3 chunks received | ReadTimeout"
            })
    void givenAnExchangeThatBrokeOff_whenItsInterruptionIsRead_thenThePythonExceptionTheClientSawWithTheReason(
            Outcome outcome, String reason, String type) throws IOException {
        Interruption interruption = RecordingExchanges.interruption(brokenOff(outcome, reason));

        assertThat(interruption).isEqualTo(new Interruption(type, reason));
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(
            strings = {
                "CAPTURE_LOST: journal full; 3 of the exchange's events not kept",
                "UNKNOWN: capture stopped: queue closed",
                "recording of 200000000 bytes exceeds the recordings topic's limit of 134217728 bytes"
            })
    void givenARecordingMissingWhatTheClientGot_whenItsInterruptionIsRead_thenNoneSoItIsNeverWritten(String reason)
            throws IOException {
        assertThat(RecordingExchanges.interruption(brokenOff(Outcome.FAILED, reason)))
                .isNull();
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource(
            delimiter = '|',
            value = {
                "UPSTREAM_RESET: upstream connection failed mid-response | RemoteProtocolError",
                "CLIENT_DISCONNECT: client closed the connection        | CancelledError"
            })
    void givenARecordingWrittenBeforeTheReasonField_whenItsInterruptionIsRead_thenTheReasonComesFromTheWords(
            String reason, String type) throws IOException {
        Recording old = brokenOff(Outcome.FAILED, reason);
        old.setFailureReason(null);

        assertThat(RecordingExchanges.interruption(old)).isEqualTo(new Interruption(type, reason));
    }
}
