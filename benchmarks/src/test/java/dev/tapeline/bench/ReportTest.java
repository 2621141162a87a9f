package dev.tapeline.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {

    @TempDir
    Path dir;

    @Test
    void givenAPageWithWrittenTextAndASection_whenTheSectionIsReplaced_thenOnlyItChanges() throws Exception {
        Path page = dir.resolve("benchmarks.md");
        Files.writeString(
                page, "# Title\n\nprose\n\n<!-- bench:proxy -->\nold table\n<!-- /bench:proxy -->\n\nmore prose\n");

        Report.replace(page, "proxy", "new table\n");
        Report.replace(page, "jmh", "jmh table");

        assertThat(Files.readString(page))
                .isEqualTo(
                        "# Title\n\nprose\n\n<!-- bench:proxy -->\nnew table\n"
                                + "<!-- /bench:proxy -->\n\nmore prose\n\n<!-- bench:jmh -->\njmh table\n<!-- /bench:jmh -->\n");
    }

    @Test
    void givenAPlotsLargestValue_whenItsScaleIsChosen_thenOneTwoTwoAndAHalfOrFiveTimesAPowerOfTen() {
        // (drawing the PNG needs fonts, which a headless JDK may lack: the benchmark command draws them, not the tests)
        assertThat(Plot.niceCeiling(12.6)).isEqualTo(20);
        assertThat(Plot.niceCeiling(0.21)).isEqualTo(0.25);
        assertThat(Plot.niceCeiling(480)).isEqualTo(500);
    }
}
