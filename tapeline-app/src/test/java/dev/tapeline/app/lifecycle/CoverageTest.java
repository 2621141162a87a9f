package dev.tapeline.app.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapeline.fixture.FixtureLayout;
import dev.tapeline.fixture.path.FixtureRepository;
import dev.tapeline.schema.ReplayEvent;
import dev.tapeline.schema.ReplayOutcome;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CoverageTest {

    private static final String TEST = "tests/integration/inference/test_a.py::test_1";
    private static final String DIR = "tests/integration/inference/recordings/";
    private static final String SHARED = "tests/integration/common/recordings/";

    @TempDir
    Path root;

    private void fixture(String path) throws Exception {
        Path file = root.resolve(path);
        Files.createDirectories(file.getParent());
        Files.writeString(file, "{}");
    }

    private static ReplayEvent event(ReplayOutcome outcome, String testId, String hash, List<String> fixtures) {
        return ReplayEvent.newBuilder()
                .setRunId("r")
                .setShard(null)
                .setAgentId("agent")
                .setAtMs(Instant.EPOCH)
                .setOutcome(outcome)
                .setRequestHash(hash)
                .setFixtures(fixtures)
                .setTestId(testId)
                .setMethod("POST")
                .setEndpoint("/v1/chat/completions")
                .setNearest(null)
                .build();
    }

    @Test
    void givenAMergedModelListHitAndTimingFiles_whenCovered_thenEveryMergedListUsedAndTimingsNoFixtures()
            throws Exception {
        fixture(DIR + "aaa.json");
        fixture(DIR + "aaa.timing.json");
        fixture(DIR + "bbb.json");
        fixture(SHARED + "models-ccc-11111111.json");
        fixture(SHARED + "models-ccc-22222222.json");
        fixture(SHARED + "models-ddd-33333333.json");

        Coverage coverage = Coverage.of(
                root,
                new FixtureRepository(FixtureLayout.current()),
                List.of(
                        event(ReplayOutcome.HIT, TEST, "aaa", List.of(DIR + "aaa.json")),
                        event(
                                ReplayOutcome.HIT,
                                TEST,
                                "ccc",
                                List.of(SHARED + "models-ccc-11111111.json", SHARED + "models-ccc-22222222.json"))));

        assertThat(coverage.used())
                .containsOnly(
                        Map.entry(DIR + "aaa.json", 1L),
                        Map.entry(SHARED + "models-ccc-11111111.json", 1L),
                        Map.entry(SHARED + "models-ccc-22222222.json", 1L));
        assertThat(coverage.unused())
                .containsOnly(
                        Map.entry(DIR + "bbb.json", Coverage.Unused.REMOVED),
                        Map.entry(SHARED + "models-ddd-33333333.json", Coverage.Unused.MODEL_LIST));
        assertThat(coverage.prunable(false, false)).containsExactly(DIR + "bbb.json");
        assertThat(coverage.prunable(true, false))
                .containsExactly(SHARED + "models-ddd-33333333.json", DIR + "bbb.json");
        assertThat(coverage.testsUsingNothing()).isEmpty();
    }

    @Test
    void givenOnlyMisses_whenPrinted_thenTheTestNamedAsUsingNothingWithItsMiss() throws Exception {
        fixture(DIR + "aaa.json");
        Coverage coverage = Coverage.of(
                root,
                new FixtureRepository(FixtureLayout.current()),
                List.of(
                        event(ReplayOutcome.MISS, TEST, "eee", List.of()),
                        event(ReplayOutcome.MISS, TEST, "eee", List.of())));

        StringWriter out = new StringWriter();
        coverage.print(new PrintWriter(out));

        assertThat(out.toString())
                .startsWith("Coverage of 2 events (runs r): 0 fixtures used, 1 never used (1 prune would remove), 1"
                        + " requests missed, 1 tests used nothing")
                .contains("  " + DIR + "aaa.json\n")
                .contains("  " + TEST + "  /v1/chat/completions eee  x2\n")
                .contains("TESTS THAT USED NO FIXTURE\n  " + TEST + "\n");
    }
}
