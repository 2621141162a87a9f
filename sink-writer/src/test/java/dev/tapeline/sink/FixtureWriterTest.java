package dev.tapeline.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tapeline.fixture.RenderedFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FixtureWriterTest {

    @TempDir
    Path root;

    private static RenderedFixture fixture(String path, String content) {
        return new RenderedFixture(path, "h", content.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void givenNewFixture_whenWritten_thenFileCreatedWithDirectoriesAndNoTempLeft() throws Exception {
        FixtureWriter writer = new FixtureWriter(root);

        assertThat(writer.write(fixture("tests/a/recordings/x.json", "{}\n"))).isEqualTo(FixtureWriter.Result.WRITTEN);

        assertThat(root.resolve("tests/a/recordings/x.json")).hasContent("{}");
        try (Stream<Path> files = Files.list(root.resolve("tests/a/recordings"))) {
            assertThat(files).hasSize(1);
        }
    }

    @Test
    void givenIdenticalContent_whenWrittenAgain_thenUnchangedAndFileNotTouched() throws Exception {
        FixtureWriter writer = new FixtureWriter(root);
        writer.write(fixture("r/x.json", "{\"a\": 1}\n"));
        Path file = root.resolve("r/x.json");
        Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(0));

        assertThat(writer.write(fixture("r/x.json", "{\"a\": 1}\n"))).isEqualTo(FixtureWriter.Result.UNCHANGED);
        assertThat(Files.getLastModifiedTime(file).toMillis()).isZero();
        assertThat(writer.write(fixture("r/x.json", "{\"a\": 2}\n"))).isEqualTo(FixtureWriter.Result.WRITTEN);
        assertThat(file).hasContent("{\"a\": 2}");
    }

    @Test
    void givenPathsLeavingTheRoot_whenWritten_thenRefusedAndNothingWritten() {
        FixtureWriter writer = new FixtureWriter(root.resolve("fixtures"));

        for (String path : new String[] {"../x.json", "a/../../x.json", "/etc/x.json", ""}) {
            assertThatThrownBy(() -> writer.write(fixture(path, "{}")))
                    .as(path)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("escapes the fixture root");
        }
        assertThat(root.resolve("x.json")).doesNotExist();
    }

    @Test
    void givenTemporariesAKilledWriterLeft_whenAbandonedOnesAreRemoved_thenOnlyOldOnesGoAndFixturesStay()
            throws Exception {
        java.time.Instant now = java.time.Instant.parse("2026-11-26T12:00:00Z");
        FixtureWriter writer = new FixtureWriter(root, java.time.Clock.fixed(now, java.time.ZoneOffset.UTC));
        writer.write(fixture("t/recordings/a.json", "{}\n"));
        Path old = root.resolve("t/recordings/.b.json.tmp-" + java.util.UUID.randomUUID());
        Path fresh = root.resolve("t/recordings/.c.json.tmp-" + java.util.UUID.randomUUID());
        Path notOurs = root.resolve("t/recordings/.d.json.tmp-mine");
        for (Path path : java.util.List.of(old, fresh, notOurs)) {
            Files.writeString(path, "{\"partial");
        }
        Files.setLastModifiedTime(old, java.nio.file.attribute.FileTime.from(now.minusSeconds(3600)));
        Files.setLastModifiedTime(notOurs, java.nio.file.attribute.FileTime.from(now.minusSeconds(3600)));
        Files.setLastModifiedTime(fresh, java.nio.file.attribute.FileTime.from(now.minusSeconds(5)));

        int removed = writer.removeAbandonedTemporaries(java.time.Duration.ofMinutes(10));

        assertThat(removed).isEqualTo(1);
        assertThat(old).doesNotExist();
        assertThat(fresh).as("another sink may be writing it").exists();
        assertThat(notOurs).as("not a name this writer makes").exists();
        assertThat(root.resolve("t/recordings/a.json")).exists();
    }

    @Test
    void givenNoFixtureRootYet_whenAbandonedTemporariesAreRemoved_thenNothingHappens() throws Exception {
        assertThat(new FixtureWriter(root.resolve("absent")).removeAbandonedTemporaries(java.time.Duration.ZERO))
                .isZero();
    }
}
