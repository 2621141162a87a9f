package dev.tapeline.app.batch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapeline.sink.RecordingWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

class NotWrittenTallyTest {

    private static RecordingWriter.Applied skipped(RecordingWriter.Skip skip, String label) {
        return new RecordingWriter.Applied(null, List.of(), skip, label, label + ", in full");
    }

    @Test
    void givenNothingSkipped_thenTheSummarySaysNone() {
        assertThat(new NotWrittenTally(false).summary()).isEqualTo("0 not written");
    }

    @Test
    void givenRecordsOfSeveralReasons_thenTheSummaryCountsEachReason() {
        NotWrittenTally tally = new NotWrittenTally(true);
        for (int i = 0; i < 3; i++) {
            tally.add(
                    "k" + i,
                    "t-0 offset " + i,
                    skipped(RecordingWriter.Skip.BROKE_OFF, "broke off: FAILED CLIENT_DISCONNECT"));
        }
        tally.add("k9", "t-1 offset 9", skipped(RecordingWriter.Skip.NO_FIXTURE_SHAPE, "no fixture shape: POST /v1/x"));

        assertThat(tally.total()).isEqualTo(4);
        assertThat(tally.summary())
                .isEqualTo("4 not written (3 broke off: FAILED CLIENT_DISCONNECT, 1 no fixture shape: POST /v1/x)");
    }
}
