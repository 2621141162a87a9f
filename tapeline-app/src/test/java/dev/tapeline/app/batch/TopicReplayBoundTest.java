package dev.tapeline.app.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TopicReplayBoundTest {

    @Test
    void givenEachFormOfABound_whenParsed_thenOffsetsPerPartitionOrTime() {
        assertThat(TopicRange.Bound.parse("1200")).isEqualTo(new TopicRange.Bound.Offset(1200));
        assertThat(TopicRange.Bound.parse("0:1200,2:80"))
                .isEqualTo(new TopicRange.Bound.PartitionOffsets(Map.of(0, 1200L, 2, 80L)));
        assertThat(TopicRange.Bound.parse("2026-11-26T10:00:00Z"))
                .isEqualTo(new TopicRange.Bound.Timestamp(Instant.parse("2026-11-26T10:00:00Z")));
        assertThat(TopicRange.Bound.parse("2026-11-26T11:00:00+01:00"))
                .isEqualTo(new TopicRange.Bound.Timestamp(Instant.parse("2026-11-26T10:00:00Z")));
        assertThat(TopicRange.Bound.parse("2026-11-26"))
                .isEqualTo(new TopicRange.Bound.Timestamp(Instant.parse("2026-11-26T00:00:00Z")));
    }

    @Test
    void givenSomethingElse_whenParsed_thenAnErrorThatShowsEveryForm() {
        assertThatThrownBy(() -> TopicRange.Bound.parse("yesterday"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'yesterday'")
                .hasMessageContaining("0:1200,2:80")
                .hasMessageContaining("2026-11-26");
    }

    @Test
    void givenFilters_whenARecordingIsChecked_thenEveryFilterSetMustMatch() throws Exception {
        dev.tapeline.schema.Recording recording = dev.tapeline.sink.GoldenRecording.streamed();
        String model = dev.tapeline.fixture.python.PyJson.parse(dev.tapeline.schema.Buffers.toArray(
                        recording.getRequest().getBody()))
                .path("model")
                .asText();

        assertThat(TopicReplay.Filter.ALL.matches(recording)).isTrue();
        assertThat(new TopicReplay.Filter(
                                java.util.Set.of("/v1/chat/completions"),
                                java.util.Set.of(model),
                                "tests/integration/inference/",
                                java.util.Set.of(dev.tapeline.schema.Outcome.COMPLETED))
                        .matches(recording))
                .isTrue();
        assertThat(new TopicReplay.Filter(java.util.Set.of("/v1/embeddings"), null, null, null).matches(recording))
                .isFalse();
        assertThat(new TopicReplay.Filter(null, java.util.Set.of("other"), null, null).matches(recording))
                .isFalse();
        assertThat(new TopicReplay.Filter(null, null, "tests/unit/", null).matches(recording))
                .isFalse();
        assertThat(new TopicReplay.Filter(null, null, null, java.util.Set.of(dev.tapeline.schema.Outcome.FAILED))
                        .matches(recording))
                .isFalse();
    }
}
