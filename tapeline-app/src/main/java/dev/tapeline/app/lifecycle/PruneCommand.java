package dev.tapeline.app.lifecycle;

import dev.tapeline.fixture.path.FixtureRepository;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Removes the fixtures no replay run used. */
@Command(
        name = "prune",
        mixinStandardHelpOptions = true,
        description = "Remove the fixtures under FIXTURES that coverage calls never used (and their .timing.json):"
                + " a dry run by default, listing them and the git rm that removes them; --apply deletes them. Model"
                + " lists and fixtures outside the directories of the tests the runs replayed are kept unless asked.")
public final class PruneCommand implements Callable<Integer> {

    @Mixin
    CoverageOptions options;

    @Option(names = "--apply", description = "Delete the files (default: only list them).")
    boolean apply;

    @Option(names = "--include-model-lists", description = "Remove never-used model lists too.")
    boolean modelLists;

    @Option(
            names = "--everywhere",
            description = "Remove never-used fixtures outside the replayed tests' directories too (their tests may"
                    + " not have run).")
    boolean everywhere;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Coverage coverage = options.coverage(spec);
        Path root = options.fixtures;
        List<String> files = new ArrayList<>();
        for (String fixture : coverage.prunable(modelLists, everywhere)) {
            files.add(fixture);
            String timing = FixtureRepository.timingOf(fixture);
            if (Files.exists(root.resolve(timing))) {
                files.add(timing);
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        long kept = coverage.unused().size()
                - coverage.prunable(modelLists, everywhere).size();
        out.printf(
                "%s %d never-used fixtures (%d files) of %d; %d never used are kept (%s)%n",
                apply ? "Removing" : "Would remove",
                coverage.prunable(modelLists, everywhere).size(),
                files.size(),
                coverage.used().size() + coverage.unused().size(),
                kept,
                "--include-model-lists, --everywhere to remove them");
        files.forEach(file -> out.println("  " + file));
        if (apply) {
            for (String file : files) {
                Files.delete(root.resolve(file));
            }
        } else if (!files.isEmpty()) {
            out.println("As git would: git -C " + root + " rm -q -- " + String.join(" ", files));
            out.println("(a dry run: --apply deletes them)");
        }
        out.flush();
        return 0;
    }
}
