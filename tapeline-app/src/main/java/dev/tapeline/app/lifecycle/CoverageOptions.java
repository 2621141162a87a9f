package dev.tapeline.app.lifecycle;

import dev.tapeline.agent.replay.ReplayLog;
import dev.tapeline.app.LayoutOptions;
import dev.tapeline.app.Unavailable;
import dev.tapeline.fixture.path.FixtureRepository;
import dev.tapeline.schema.ReplayEvent;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** What {@code coverage} and {@code prune} read: a fixture repository, and the replay events of runs over it. */
final class CoverageOptions {

    @Parameters(index = "0", paramLabel = "FIXTURES", description = "The fixture repository root the runs replayed.")
    Path fixtures;

    @Option(
            names = "--events",
            required = true,
            paramLabel = "PATH",
            description = "Repeatable: a replay-events file (<data-dir>/replay-events/<run id>[.<shard>].jsonl, as"
                    + " each replaying agent writes it) or a directory of them, e.g. the files gathered from every CI"
                    + " shard.")
    List<Path> events;

    @Option(names = "--run-id", description = "Read the events of this run only (default: every run in the files).")
    String runId;

    @Mixin
    LayoutOptions layoutOptions;

    /** The coverage of {@link #fixtures} by the events read; a bad path or line is a parameter error naming it. */
    Coverage coverage(CommandSpec spec) throws IOException {
        if (!Files.isDirectory(fixtures)) {
            throw Unavailable.file("FIXTURES", fixtures, new NoSuchFileException(fixtures.toString()));
        }
        List<ReplayEvent> read = new ArrayList<>();
        for (Path path : events) {
            for (Path file : files(path)) {
                read(spec, file, read);
            }
        }
        if (read.isEmpty()) {
            throw new ParameterException(
                    spec.commandLine(),
                    "--events: no replay event" + (runId == null ? "" : " of run " + runId) + " in " + events);
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
