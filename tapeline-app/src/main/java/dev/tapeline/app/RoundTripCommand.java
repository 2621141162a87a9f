package dev.tapeline.app;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code tapeline roundtrip DIR}: re-captures every fixture of DIR through the pipeline and compares. */
@Command(
        name = "roundtrip",
        mixinStandardHelpOptions = true,
        description = "Serve every fixture of a directory as an upstream would (provider form), capture it through the"
                + " whole pipeline, and compare what the sink writes with the original. Exit code 1 if any differs.")
public final class RoundTripCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "DIR", description = "Fixture repository to check (not modified).")
    Path fixtures;

    @picocli.CommandLine.Option(
            names = "--work-dir",
            description =
                    "Keep the broker data and the captured fixtures"
                            + " (under fixtures/) here, to inspect differences; by default a temporary directory, removed afterwards.")
    Path workDir;

    @Override
    public Integer call() throws Exception {
        Path work =
                workDir != null ? Files.createDirectories(workDir) : Files.createTempDirectory("tapeline-roundtrip-");
        try {
            RoundTrip.Report report = RoundTrip.run(fixtures, work, System.out);
            report.print(System.out, fixtures.toAbsolutePath());
            return report.count(RoundTrip.Kind.DIFFERENT) == 0 ? 0 : 1;
        } finally {
            if (workDir == null) {
                try (var files = Files.walk(work)) {
                    files.sorted(java.util.Comparator.reverseOrder())
                            .forEach(p -> p.toFile().delete());
                }
            }
        }
    }
}
