package dev.tapeline.app.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tapeline.app.Cli;
import dev.tapeline.app.EmbeddedSchemaRegistry;
import dev.tapeline.app.InJvmKafka;
import dev.tapeline.fixture.Corpus;
import dev.tapeline.fixture.repo.FixtureFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Backfill and replay through a real in-JVM broker: the corpus imported onto the recordings topic
 * comes back byte for byte, whole or by range and filter, and a second replay writes nothing.
 */
class TopicReplayIT {

    @TempDir
    static Path dir;

    @org.junit.jupiter.api.extension.RegisterExtension
    static final InJvmKafka kafka = new InJvmKafka();

    static EmbeddedSchemaRegistry registry;

    @BeforeAll
    static void start() throws Exception {
        registry = EmbeddedSchemaRegistry.start(0);
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    private static Cli.Result tapeline(String topic, String command, Object... more) {
        List<String> args = new ArrayList<>(List.of(
                command,
                "--bootstrap-servers",
                kafka.bootstrapServers(),
                "--schema-registry-url",
                registry.url(),
                "--topic",
                topic));
        for (Object arg : more) {
            args.add(arg.toString());
        }
        return Cli.run(args.toArray(String[]::new));
    }

    /** Every file under a root by relative path, with its bytes. */
    private static Map<String, byte[]> files(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            return Map.of();
        }
        try (Stream<Path> walk = Files.walk(root)) {
            Map<String, byte[]> files = new TreeMap<>();
            for (Path file : walk.filter(Files::isRegularFile).toList()) {
                files.put(root.relativize(file).toString(), Files.readAllBytes(file));
            }
            return files;
        }
    }

    private static void assertSameFiles(Map<String, byte[]> actual, Map<String, byte[]> expected) {
        assertThat(actual.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
        expected.forEach((path, bytes) -> assertThat(actual.get(path)).as(path).isEqualTo(bytes));
    }

    /** Copies the corpus files that match into a fresh root, by the same relative paths. */
    private static Path copyOf(Path corpus, String name, Predicate<Path> which) throws IOException {
        Path root = dir.resolve(name);
        for (Path file : Corpus.currentGeneration().stream().filter(which).toList()) {
            Path copy = root.resolve(corpus.relativize(file).toString());
            Files.createDirectories(copy.getParent());
            Files.copy(file, copy);
        }
        return root;
    }

    private static String endOffsets(String topic) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            Map<TopicPartition, OffsetSpec> latest =
                    new TreeMap<>(java.util.Comparator.comparingInt(TopicPartition::partition));
            for (int p = 0; p < 3; p++) {
                latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
            return admin.listOffsets(latest).all().get().entrySet().stream()
                    .map(e -> e.getKey().partition() + ":" + e.getValue().offset())
                    .collect(Collectors.joining(","));
        }
    }

    @Test
    void
            givenTheWholeCorpusImported_whenTheTopicIsReplayed_thenEveryFileComesBackByteIdenticalAndASecondRunWritesNothing()
                    throws Exception {
        Path corpus = Corpus.root();
        Path out = dir.resolve("replayed-all");

        Cli.Result imported = tapeline("corpus.recordings", "import", corpus);
        Cli.Result first = tapeline("corpus.recordings", "replay-topic", "--fixtures", out);
        Cli.Result second = tapeline("corpus.recordings", "replay-topic", "--fixtures", out);

        assertThat(imported.exitCode()).as(imported.err()).isZero();
        assertThat(imported.out()).contains("1260 fixtures imported");
        assertThat(first.exitCode()).as(first.err()).isZero();
        Map<String, byte[]> expected = files(corpus);
        expected.remove("README.md");
        assertSameFiles(files(out), expected);
        assertThat(second.out()).contains("1260 records read: 0 fixtures written, 1260 unchanged");
    }

    @Test
    void givenTwoBatchesImported_whenATimeRangeAndAnOffsetRangeAreReplayedWithFilters_thenExactlyTheExpectedFiles()
            throws Exception {
        Path corpus = Corpus.root();
        String topic = "ranges.recordings";
        Predicate<Path> inference = path -> path.toString().contains("/inference/");
        Path first = copyOf(corpus, "batch-1", inference);
        Path second = copyOf(corpus, "batch-2", inference.negate());
        assertThat(tapeline(topic, "import", first).exitCode()).isZero();
        String firstEnd = endOffsets(topic);
        Instant between = Instant.now();
        await().until(() -> Instant.now().isAfter(between.plusMillis(5)));
        assertThat(tapeline(topic, "import", second).exitCode()).isZero();

        // when: the second batch by time, chat completions only; the first by offsets, one test file's only
        Path byTime = dir.resolve("by-time");
        Cli.Result timeRange = tapeline(
                topic, "replay-topic", "--fixtures", byTime, "--from", between, "--endpoint", "/v1/chat/completions");
        Path byOffset = dir.resolve("by-offset");
        String prefix = "tests/integration/inference/test_openai_completion.py";
        Cli.Result offsetRange = tapeline(
                topic, "replay-topic", "--fixtures", byOffset, "--until", firstEnd, "--test-id-prefix", prefix);

        // then: exactly the files of those batches that match, byte for byte
        assertThat(timeRange.exitCode()).as(timeRange.err()).isZero();
        assertThat(offsetRange.exitCode()).as(offsetRange.err()).isZero();
        Map<String, byte[]> expectedByTime = new TreeMap<>(files(second));
        expectedByTime.keySet().removeIf(path -> !chatCompletion(second.resolve(path)));
        Map<String, byte[]> expectedByOffset = new TreeMap<>(files(first));
        expectedByOffset.keySet().removeIf(path -> !testIdStartsWith(first.resolve(path), prefix));
        assertThat(expectedByTime).hasSizeGreaterThan(10);
        assertThat(expectedByOffset).hasSizeGreaterThan(10);
        assertThat(expectedByOffset.size()).isLessThan(files(first).size());
        assertSameFiles(files(byTime), expectedByTime);
        assertSameFiles(files(byOffset), expectedByOffset);
        assertThat(tapeline(
                                topic,
                                "replay-topic",
                                "--fixtures",
                                byOffset,
                                "--until",
                                firstEnd,
                                "--test-id-prefix",
                                prefix)
                        .out())
                .contains(" 0 fixtures written");
    }

    private static boolean chatCompletion(Path file) {
        try {
            FixtureFile fixture = FixtureFile.read(file);
            return fixture.wireEndpoint().equals("/v1/chat/completions");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static boolean testIdStartsWith(Path file, String prefix) {
        try {
            String testId = FixtureFile.read(file).testId();
            return testId != null && testId.startsWith(prefix);
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void givenAFixtureOnTheTopic_whenATombstoneFollows_thenReplayDeletesTheFile() throws Exception {
        Path corpus = Corpus.root();
        String topic = "tombstone.recordings";
        Path one = copyOf(corpus, "one", path -> path.getFileName().toString().startsWith("0"));
        Map<String, byte[]> all = files(one);
        assertThat(tapeline(topic, "import", one).exitCode()).isZero();
        Path out = dir.resolve("tombstoned");
        assertThat(tapeline(topic, "replay-topic", "--fixtures", out).exitCode())
                .isZero();
        String gone = all.keySet().iterator().next();
        String key = FixtureFile.read(one.resolve(gone)).nameHash();

        try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<String, byte[]>(
                Map.of("bootstrap.servers", kafka.bootstrapServers()),
                new org.apache.kafka.common.serialization.StringSerializer(),
                new org.apache.kafka.common.serialization.ByteArraySerializer())) {
            producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, key, null))
                    .get();
        }
        Cli.Result replay = tapeline(topic, "replay-topic", "--fixtures", out);

        assertThat(replay.out()).contains("1 deleted");
        assertThat(out.resolve(gone)).doesNotExist();
        assertThat(files(out)).hasSize(all.size() - 1);
    }
}
