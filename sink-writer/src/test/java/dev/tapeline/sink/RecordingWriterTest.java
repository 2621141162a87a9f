package dev.tapeline.sink;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapeline.fixture.FixtureLayout;
import dev.tapeline.schema.FailureReason;
import dev.tapeline.schema.Outcome;
import dev.tapeline.schema.Recording;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What becomes of a record that becomes no file: a reason of its kind, counted by a short label. */
class RecordingWriterTest {

    @TempDir
    Path root;

    private RecordingWriter writer(boolean writeIncomplete) {
        return new RecordingWriter(new FixtureWriter(root), FixtureLayout.current(), writeIncomplete, false);
    }

    @Test
    void givenAnExchangeWhoseClientLeft_whenApplied_thenItBrokeOffWithItsOutcomeAndFailureReason() throws Exception {
        Recording failed = GoldenRecording.streamed();
        failed.setOutcome(Outcome.FAILED);
        failed.setFailureReason(FailureReason.CLIENT_DISCONNECT);
        failed.setOutcomeReason("CLIENT_DISCONNECT: the client closed the connection");

        RecordingWriter.Applied applied = writer(false).apply(failed.getFixtureKey(), failed);

        assertThat(applied.result()).isNull();
        assertThat(applied.skip()).isEqualTo(RecordingWriter.Skip.BROKE_OFF);
        assertThat(applied.label()).isEqualTo("broke off: FAILED CLIENT_DISCONNECT");
        assertThat(applied.reason())
                .isEqualTo(
                        "outcome FAILED (CLIENT_DISCONNECT: the client closed the connection); exchanges that broke off"
                                + " are written with --write-incomplete");
    }

    @Test
    void givenAResponsesStreamWhoseEventsHaveNoType_whenApplied_thenNoFixtureShapeNamingWhy() throws Exception {
        Recording responses = GoldenRecording.streamed(); // chat completion chunks: no "type" of a Responses event
        responses.getRequest().setEndpoint("/v1/responses");
        responses.getRequest().setUrl("http://localhost:8000/v1/v1/responses");

        RecordingWriter.Applied applied = writer(false).apply(responses.getFixtureKey(), responses);

        assertThat(applied.skip()).isEqualTo(RecordingWriter.Skip.NO_FIXTURE_SHAPE);
        assertThat(applied.label()).isEqualTo("no fixture shape: POST /v1/responses");
        assertThat(applied.reason())
                .isEqualTo(
                        "POST /v1/responses: a Responses stream event without a type: "
                                + "{\"id\":\"chatcmpl-abc123\",\"object\":\"chat.completion.chunk\",\"created\":1764000000,\"m…");
    }

    @Test
    void givenAnEndpointWithNoLlamaStackShape_whenApplied_thenWrittenAsAnHttpPassthroughFixture() throws Exception {
        Recording unknown = GoldenRecording.streamed();
        unknown.getRequest().setEndpoint("/v1/unknown/thing");
        unknown.getRequest().setUrl("http://localhost:8000/v1/v1/unknown/thing");

        RecordingWriter.Applied applied = writer(false).apply(unknown.getFixtureKey(), unknown);

        assertThat(applied.result()).isEqualTo(FixtureWriter.Result.WRITTEN);
        String fixture = java.nio.file.Files.readString(applied.paths().get(0));
        assertThat(fixture)
                .contains("\"url\": \"http://localhost:8000/v1/v1/unknown/thing\"", "\"payload\": {")
                .contains("\"is_streaming\": true");
    }

    @Test
    void givenATombstoneOfNoFixture_whenApplied_thenNoSuchFixture() throws Exception {
        RecordingWriter.Applied applied = writer(false).apply("0".repeat(64), null);

        assertThat(applied.skip()).isEqualTo(RecordingWriter.Skip.NO_SUCH_FIXTURE);
        assertThat(applied.label()).isEqualTo("no such fixture: tombstone");
    }
}
