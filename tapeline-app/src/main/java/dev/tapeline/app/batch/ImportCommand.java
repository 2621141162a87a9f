package dev.tapeline.app.batch;

import dev.tapeline.app.Topics;
import dev.tapeline.schema.Recording;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tapeline import}: an existing fixture repository onto the recordings topic (backfill). */
@Command(
        name = "import",
        mixinStandardHelpOptions = true,
        modelTransformer = ImportCommand.Options.class,
        description = "Put every fixture under DIR (any llama-stack generation) on the recordings topic, keyed as the"
                + " pipeline keys them; replay-topic gives each file back byte for byte.")
public final class ImportCommand implements Callable<Integer> {

    /** Adds the topic settings (partitions, replicas) of a recordings topic it creates. */
    static final class Options implements picocli.CommandLine.IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            dev.tapeline.app.SettingOptions.addTo(spec, Topics.OPTIONS);
            return spec;
        }
    }

    @Mixin
    KafkaOptions kafka;

    @Option(
            names = "--topic",
            defaultValue = Topics.RECORDINGS,
            description = "Recordings topic (default: ${DEFAULT-VALUE}).")
    String topic;

    @Parameters(paramLabel = "DIR", description = "Fixture repository root.")
    Path root;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (!Files.isDirectory(root)) {
            spec.commandLine().getErr().println("no such directory: " + root);
            return 1;
        }
        kafka.checkReachable();
        ProgressLine line = ProgressLine.onStderr("files");
        AtomicLong files = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        FixtureImport.Summary summary;
        try (KafkaProducer<String, Recording> producer =
                kafka.recordingsProducer(topic, dev.tapeline.app.SettingOptions.read(spec, Topics.OPTIONS))) {
            summary = FixtureImport.run(
                    root, producer, topic, size -> line.update(files.incrementAndGet(), 0, bytes.addAndGet(size)));
        }
        line.finish(summary.imported(), summary.imported(), summary.bytes());
        spec.commandLine()
                .getOut()
                .printf(
                        "%d fixtures imported into %s (%.1f MB); %d files not imported%n",
                        summary.imported(),
                        topic,
                        summary.bytes() / 1e6,
                        summary.skipped().size());
        summary.skipped().forEach(reason -> spec.commandLine().getOut().println("  not imported: " + reason));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
