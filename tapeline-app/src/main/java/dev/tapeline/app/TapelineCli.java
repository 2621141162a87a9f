package dev.tapeline.app;

import dev.tapeline.app.batch.ImportCommand;
import dev.tapeline.app.batch.ReplayTopicCommand;
import dev.tapeline.app.batch.RerenderCommand;
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
            CommandLine.HelpCommand.class
        })
public final class TapelineCli {

    public static void main(String[] args) {
        System.exit(new CommandLine(new TapelineCli()).execute(args));
    }
}
