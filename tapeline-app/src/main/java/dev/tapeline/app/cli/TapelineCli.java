package dev.tapeline.app.cli;

import dev.tapeline.app.ClusterCommand;
import dev.tapeline.app.DemoCommand;
import dev.tapeline.app.ExplainCommand;
import dev.tapeline.app.RoundTripCommand;
import dev.tapeline.app.RunCommand;
import dev.tapeline.app.Unavailable;
import dev.tapeline.app.batch.ImportCommand;
import dev.tapeline.app.batch.ReplayTopicCommand;
import dev.tapeline.app.batch.RerenderCommand;
import dev.tapeline.app.lifecycle.CoverageCommand;
import dev.tapeline.app.lifecycle.DriftCommand;
import dev.tapeline.app.lifecycle.PruneCommand;
import dev.tapeline.app.otel.OtelCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code tapeline run} (the pipeline, for real clients) and {@code tapeline demo}. */
@Command(
        name = "tapeline",
        mixinStandardHelpOptions = true,
        version = "tapeline 0.1.0",
        description = "Record LLM API traffic through Kafka into llama-stack record/replay fixtures.",
        subcommands = {
            RunCommand.class,
            DemoCommand.class,
            ReplayTopicCommand.class,
            ImportCommand.class,
            RerenderCommand.class,
            RoundTripCommand.class,
            ClusterCommand.class,
            ExplainCommand.class,
            CoverageCommand.class,
            PruneCommand.class,
            DriftCommand.class,
            OtelCommand.class,
            CommandLine.HelpCommand.class
        })
public final class TapelineCli {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /**
     * The command line: what a command needs and cannot reach or read ({@link Unavailable}) is one
     * line on stderr and exit code {@value Unavailable#EXIT_CODE}; anything else keeps its stack trace.
     */
    public static CommandLine commandLine() {
        return new CommandLine(new TapelineCli()).setExecutionExceptionHandler((error, command, parsed) -> {
            if (error instanceof Unavailable unavailable) {
                command.getErr().println("tapeline " + command.getCommandName() + ": " + unavailable.getMessage());
                command.getErr().flush();
                return Unavailable.EXIT_CODE;
            }
            throw error;
        });
    }
}
