package dev.tapeline.app.lifecycle;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tapeline.fixture.path.FixtureRepository;
import dev.tapeline.fixture.repo.FixtureFile;
import dev.tapeline.schema.ReplayEvent;
import dev.tapeline.schema.ReplayOutcome;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Which fixtures of a repository the replay events of one or more runs used: a fixture counts as
 * used when any shard of any run was answered from it. Fixtures never used are told apart by what
 * {@code prune} does with them: removed (in a directory of a test the runs replayed), or kept unless
 * asked (a model list, shared by every test; a fixture outside those directories, whose tests did
 * not run).
 *
 * @param used              fixture (relative path) → times it answered
 * @param unused            fixtures never used, each with what {@code prune} does with it
 * @param misses            requests no fixture answered, one per test and request hash
 * @param testsUsingNothing tests whose every request missed
 * @param runs              the runs read
 * @param shards            their shards
 * @param events            events read
 */
public record Coverage(
        Map<String, Long> used,
        Map<String, Unused> unused,
        List<Miss> misses,
        Set<String> testsUsingNothing,
        Set<String> runs,
        Set<String> shards,
        long events) {

    /** What {@code prune} does with a never-used fixture, by default. */
    public enum Unused {
        /** Removed: in the directory of a test the runs replayed. */
        REMOVED(null),
        /** Kept: a model list, shared by every test. */
        MODEL_LIST("model list"),
        /** Kept: outside the directories of the tests the runs replayed (their tests may not have run). */
        OUTSIDE("outside the runs' test directories");

        private final String keptBecause;

        Unused(String keptBecause) {
            this.keptBecause = keptBecause;
        }

        /** Why prune keeps it, or null where it removes it. */
        public String keptBecause() {
            return keptBecause;
        }
    }

    /** A request no fixture answered: its test, endpoint, hash, the nearest recording, how often. */
    public record Miss(String testId, String endpoint, String requestHash, String nearest, long count) {}

    /**
     * The coverage of the fixtures under {@code root} by {@code events}; {@code repository} says
     * where each test's fixtures live.
     */
    public static Coverage of(Path root, FixtureRepository repository, Collection<ReplayEvent> events) {
        Map<String, Long> used = new TreeMap<>();
        Map<String, Miss> misses = new TreeMap<>();
        Set<String> tests = new TreeSet<>();
        Set<String> testsWithHit = new TreeSet<>();
        Set<String> runs = new TreeSet<>();
        Set<String> shards = new TreeSet<>();
        Set<String> testDirs = new TreeSet<>();
        for (ReplayEvent event : events) {
            runs.add(event.getRunId());
            if (event.getShard() != null) {
                shards.add(event.getShard());
            }
            String test = event.getTestId();
            if (test != null) {
                tests.add(test);
                testDirs.add(repository.recordingsDir(test));
            }
            if (event.getOutcome() == ReplayOutcome.HIT) {
                event.getFixtures().forEach(fixture -> used.merge(fixture, 1L, Long::sum));
                if (test != null) {
                    testsWithHit.add(test);
                }
            } else {
                String key = test + " " + event.getRequestHash();
                Miss before = misses.get(key);
                misses.put(
                        key,
                        new Miss(
                                test,
                                event.getEndpoint(),
                                event.getRequestHash(),
                                event.getNearest(),
                                before == null ? 1 : before.count() + 1));
            }
        }
        Map<String, Unused> unused = new LinkedHashMap<>();
        for (String fixture : fixtures(root)) {
            if (used.containsKey(fixture)) {
                continue;
            }
            String name = fixture.substring(fixture.lastIndexOf('/') + 1);
            unused.put(
                    fixture,
                    FixtureRepository.isModelList(name)
                            ? Unused.MODEL_LIST
                            : testDirs.stream().anyMatch(fixture::startsWith) ? Unused.REMOVED : Unused.OUTSIDE);
        }
        tests.removeAll(testsWithHit);
        return new Coverage(used, unused, new ArrayList<>(misses.values()), tests, runs, shards, events.size());
    }

    /** Every fixture under {@code root}, relative, {@code /}-separated, sorted. */
    static List<String> fixtures(Path root) {
        try {
            return FixtureFile.under(root).stream()
                    .map(f -> root.relativize(f).toString().replace('\\', '/'))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the fixtures under " + root, e);
        }
    }

    /** The never-used fixtures {@code prune} removes: all of them, or (by default) those it does not keep. */
    public List<String> prunable(boolean modelLists, boolean everywhere) {
        return unused.entrySet().stream()
                .filter(e -> e.getValue() == Unused.REMOVED
                        || (modelLists && e.getValue() == Unused.MODEL_LIST)
                        || (everywhere && e.getValue() == Unused.OUTSIDE))
                .map(Map.Entry::getKey)
                .toList();
    }

    /** As a table on a terminal: counts, then the never-used fixtures, the misses, the tests that used nothing. */
    public void print(PrintWriter out) {
        out.printf(
                "Coverage of %d events (runs %s%s): %d fixtures used, %d never used (%d prune would remove), %d"
                        + " requests missed, %d tests used nothing%n",
                events,
                String.join(", ", runs),
                shards.isEmpty() ? "" : "; shards " + String.join(", ", shards),
                used.size(),
                unused.size(),
                prunable(false, false).size(),
                misses.size(),
                testsUsingNothing.size());
        if (!used.isEmpty()) {
            out.println();
            out.printf("%8s  %s%n", "USED", "FIXTURE");
            used.forEach((fixture, count) -> out.printf("%8d  %s%n", count, fixture));
        }
        if (!unused.isEmpty()) {
            out.println();
            out.println("NEVER USED");
            unused.forEach((fixture, what) -> out.printf(
                    "  %s%s%n",
                    fixture, what == Unused.REMOVED ? "" : "   (kept by prune: " + what.keptBecause() + ")"));
        }
        if (!misses.isEmpty()) {
            out.println();
            out.println("MISSED");
            misses.forEach(miss -> out.printf(
                    "  %s  %s %s  x%d%s%n",
                    miss.testId() == null ? "(no test id)" : miss.testId(),
                    miss.endpoint(),
                    miss.requestHash(),
                    miss.count(),
                    miss.nearest() == null ? "" : "  nearest " + miss.nearest()));
        }
        if (!testsUsingNothing.isEmpty()) {
            out.println();
            out.println("TESTS THAT USED NO FIXTURE");
            testsUsingNothing.forEach(test -> out.println("  " + test));
        }
        out.flush();
    }

    /** As JSON, for tools. */
    public ObjectNode toJson(ObjectMapper json) {
        ObjectNode root = json.createObjectNode();
        root.putPOJO("runs", runs);
        root.putPOJO("shards", shards);
        root.put("events", events);
        ObjectNode usedNode = root.putObject("used");
        used.forEach(usedNode::put);
        ArrayNode unusedNode = root.putArray("unused");
        unused.forEach((fixture, what) ->
                unusedNode.addObject().put("fixture", fixture).put("keptBecause", what.keptBecause()));
        ArrayNode missesNode = root.putArray("misses");
        misses.forEach(miss -> missesNode
                .addObject()
                .put("testId", miss.testId())
                .put("endpoint", miss.endpoint())
                .put("requestHash", miss.requestHash())
                .put("nearest", miss.nearest())
                .put("count", miss.count()));
        root.putPOJO("testsUsingNothing", testsUsingNothing);
        return root;
    }
}
