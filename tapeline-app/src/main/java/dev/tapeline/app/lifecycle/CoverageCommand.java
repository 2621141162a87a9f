package dev.tapeline.app.lifecycle;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Which fixtures the replay runs used, and which none did. */
@Command(
        name = "coverage",
        mixinStandardHelpOptions = true,
        description = "Report which fixtures under FIXTURES the replay events of one or more runs used (with counts),"
                + " which none used, the requests that missed and the tests that used nothing. A fixture counts as used"
                + " when any shard of a run used it. Exit code 0; 1 with --fail-on-unused when a fixture prune would"
                + " remove is unused.")
public final class CoverageCommand implements Callable<Integer> {

    @Mixin
    CoverageOptions options;

    @Option(names = "--json", description = "The report as JSON, for tools.")
    boolean json;

    @Option(
            names = "--fail-on-unused",
            description = "Exit 1 when a fixture in a replayed test's directory, not a model list, was never used.")
    boolean failOnUnused;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Coverage coverage = options.coverage(spec);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ObjectMapper mapper = new ObjectMapper();
            out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(coverage.toJson(mapper)));
            out.flush();
        } else {
            coverage.print(out);
        }
        return failOnUnused && !coverage.prunable(false, false).isEmpty() ? 1 : 0;
    }
}
