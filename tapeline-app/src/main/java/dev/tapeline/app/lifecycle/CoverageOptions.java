package dev.tapeline.app.lifecycle;

import dev.tapeline.agent.replay.ReplayLog;
import dev.tapeline.app.LayoutOptions;
import dev.tapeline.app.Topics;
import dev.tapeline.app.Unavailable;
import dev.tapeline.app.batch.KafkaOptions;
import dev.tapeline.app.batch.RangeOptions;
import dev.tapeline.app.batch.TopicRange;
import dev.tapeline.fixture.path.FixtureRepository;
import dev.tapeline.schema.ReplayEvent;
import dev.tapeline.schema.serde.ConfluentAvroSerde;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/**
 * What {@code coverage} and {@code prune} read: a fixture repository, and the replay events of runs
 * over it, from the agents' files (gathered from CI shards) or the topic (by run id, time range).
 */
final class CoverageOptions {

    @Parameters(index = "0", paramLabel = "FIXTURES", description = "The fixture repository root the runs replayed.")
    Path fixtures;

    @Option(
            names = "--events",
            paramLabel = "PATH",
            description = "Repeatable: a replay-events file (<data-dir>/replay-events/<run id>[.<shard>].jsonl, as"
                    + " each replaying agent writes it) or a directory of them, e.g. the files gathered from every CI"
                    + " shard.")
    List<Path> events = new ArrayList<>();

    /** The replay events topic, read where {@code --bootstrap-servers} is given. */
    @ArgGroup(exclusive = false, heading = "%nReplay events from the topic " + Topics.REPLAY_EVENTS + ":%n")
    KafkaOptions kafka;

    @ArgGroup(exclusive = false, heading = "%nThe part of the topic read (default: all of it):%n")
    RangeOptions range = new RangeOptions();

    @Option(names = "--run-id", description = "Read the events of this run only (default: every run in the files).")
    String runId;

    @Mixin
    LayoutOptions layoutOptions;

    /** The coverage of {@link #fixtures} by the events read; a bad path or line is a parameter error naming it. */
    Coverage coverage(CommandSpec spec) throws IOException, InterruptedException {
        if (!Files.isDirectory(fixtures)) {
            throw Unavailable.file("FIXTURES", fixtures, new NoSuchFileException(fixtures.toString()));
        }
        if (events.isEmpty() && kafka == null) {
            throw new ParameterException(
                    spec.commandLine(),
                    "where are the replay events? --events PATH, or the topic (--bootstrap-servers)");
        }
        List<ReplayEvent> read = new ArrayList<>();
        for (Path path : events) {
            for (Path file : files(path)) {
                read(spec, file, read);
            }
        }
        if (kafka != null) {
            read(spec, read);
        }
        if (read.isEmpty()) {
            throw new ParameterException(
                    spec.commandLine(),
                    "no replay event" + (runId == null ? "" : " of run " + runId) + " in "
                            + (events.isEmpty() ? "" : events + " ")
                            + (kafka == null ? "" : Topics.REPLAY_EVENTS));
        }
        return Coverage.of(fixtures, new FixtureRepository(layoutOptions.layout(spec)), read);
    }

    private static List<Path> files(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            try (Stream<Path> files = Files.walk(path)) {
                return files.filter(f -> f.getFileName().toString().endsWith(".jsonl"))
                        .sorted()
                        .toList();
            }
        }
        if (!Files.isRegularFile(path)) {
            throw Unavailable.file("--events", path, new NoSuchFileException(path.toString()));
        }
        return List.of(path);
    }

    /** The events on the topic in {@link #range}, of {@link #runId} where given. */
    private void read(CommandSpec spec, List<ReplayEvent> into) throws InterruptedException {
        kafka.checkReachable();
        try (KafkaConsumer<String, ReplayEvent> consumer = new KafkaConsumer<>(
                kafka.rangeReaderConfig(),
                new StringDeserializer(),
                ConfluentAvroSerde.<ReplayEvent>forValues(ReplayEvent.getClassSchema(), kafka.registry()))) {
            TopicRange.read(
                    consumer,
                    Topics.REPLAY_EVENTS,
                    range.start(spec),
                    range.end(spec),
                    record -> {
                        if (runId == null || runId.equals(record.value().getRunId())) {
                            into.add(record.value());
                        }
                    },
                    Duration.ofSeconds(60));
        }
    }

    private void read(CommandSpec spec, Path file, List<ReplayEvent> into) throws IOException {
        try (BufferedReader lines = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = lines.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                ReplayEvent event;
                try {
                    event = ReplayLog.fromJson(line);
                } catch (IllegalArgumentException e) {
                    throw new ParameterException(
                            spec.commandLine(),
                            "--events: " + file + " line " + number + " is not a replay event: " + e.getMessage());
                }
                if (runId == null || runId.equals(event.getRunId())) {
                    into.add(event);
                }
            }
        }
    }
}
