package dev.tapeline.app.batch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressLineTest {

    @Test
    void givenHalfDoneInTenSeconds_whenDrawn_thenBarCountsBytesRateAndEta() {
        ProgressLine line = new ProgressLine(new PrintStream(new ByteArrayOutputStream()), true, "records", () -> 0);

        assertThat(line.line(1_000, 2_000, 12_345_678, 10))
                .isEqualTo("[============>           ]  50% 1,000/2,000 records, 12.3 MB, 100 records/s, ETA 0:10");
        assertThat(line.line(7, 0, 0, 1)).isEqualTo("7 records, 0.0 MB, 7 records/s");
    }

    @Test
    void givenNoTerminal_whenUpdatedOften_thenAPlainLineEveryFiveSecondsOnly() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AtomicLong now = new AtomicLong();
        ProgressLine line =
                new ProgressLine(new PrintStream(out, true, StandardCharsets.UTF_8), false, "files", now::get);

        for (int second = 1; second <= 11; second++) {
            now.set(second * 1_000_000_000L);
            line.update(second, 11, 0);
        }
        line.finish(11, 11, 0);

        assertThat(out.toString(StandardCharsets.UTF_8).lines().toList())
                .hasSize(3)
                .noneMatch(l -> l.contains("\r"))
                .last()
                .asString()
                .contains("100% 11/11 files");
    }
}
