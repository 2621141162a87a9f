package dev.tapeline.app.batch;

import dev.tapeline.app.LayoutOptions;
import dev.tapeline.app.SettingOptions;
import dev.tapeline.app.Topics;
import dev.tapeline.processor.ProcessorConfig;
import dev.tapeline.schema.Recording;
import dev.tapeline.settings.Setting;
import dev.tapeline.settings.SettingValues;
import dev.tapeline.sink.FixtureWriter;
import dev.tapeline.sink.RecordingWriter;
import dev.tapeline.sink.SinkConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code tapeline rerender}: recordings rebuilt from the capture events, into fixtures or a new topic. */
@Command(
        name = "rerender",
        mixinStandardHelpOptions = true,
        modelTransformer = RerenderCommand.Options.class,
        description = "Rebuild recordings from the retained capture events (or a range of them) with today's rules,"
                + " into fixtures (--fixtures) or a new recordings topic (--to-topic), without calling any upstream and"
                + " without touching the live pipeline's state or offsets.")
public final class RerenderCommand implements Callable<Integer> {

    /** The processor's and sink's settings a re-render runs with, as for {@code tapeline run}. */
    static final List<Setting<?>> SETTINGS = java.util.stream.Stream.of(
                    ProcessorConfig.OPTIONS, SinkConfig.OPTIONS, Topics.OPTIONS)
            .<Setting<?>>flatMap(List::stream)
            .toList();

    /** Adds {@link #SETTINGS} to the command's options. */
    static final class Options implements picocli.CommandLine.IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            SettingOptions.addTo(spec, SETTINGS);
            return spec;
        }
    }

    @Mixin
    KafkaOptions kafka;

    @Mixin
    LayoutOptions layoutOptions;

    @Option(
            names = "--events-topic",
            defaultValue = Topics.EVENTS,
            description = "Capture events topic (default: ${DEFAULT-VALUE}).")
    String eventsTopic;

    static final class Target {
        @Option(names = "--fixtures", required = true, description = "Write the rebuilt recordings as fixtures here.")
        Path fixtures;

        @Option(
                names = "--to-topic",
                required = true,
                description = "Write the rebuilt recordings to this topic (created"
                        + " compacted if absent; replay it with replay-topic --topic).")
        String topic;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    @Mixin
    RangeOptions range;

    @Option(
            names = "--verbose",
            description = "Name each recording that becomes no fixture, with its reason (INFO); the summary counts"
                    + " them by reason either way.")
    boolean verbose;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        kafka.checkReachable();
        SettingValues settings = SettingOptions.read(spec, SETTINGS);
        TopicRange.Bound start = range.start(spec);
        TopicRange.Bound end = range.end(spec);
        ProgressLine line = ProgressLine.onStderr("events");
        Path stateDir = Files.createTempDirectory("tapeline-rerender");
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        Rerender.Summary summary;
        AtomicLong written = new AtomicLong();
        NotWrittenTally notWritten = new NotWrittenTally(verbose);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(
                        kafka.rangeReaderConfig(), new StringDeserializer(), new ByteArrayDeserializer());
                KafkaProducer<String, Recording> producer =
                        target.topic == null ? null : kafka.recordingsProducer(target.topic, settings)) {
            RecordingWriter writer = target.fixtures == null
                    ? null
                    : new RecordingWriter(
                            new FixtureWriter(target.fixtures),
                            layoutOptions.layout(spec),
                            settings.get(SinkConfig.WRITE_INCOMPLETE),
                            false);
            summary = Rerender.run(
                    consumer,
                    eventsTopic,
                    start,
                    end,
                    kafka.registry(),
                    settings,
                    stateDir,
                    (key, recording) -> {
                        if (producer != null) {
                            sent.add(producer.send(new ProducerRecord<>(target.topic, key, recording)));
                            return;
                        }
                        try {
                            RecordingWriter.Applied applied = writer.apply(key, recording);
                            if (applied.result() == FixtureWriter.Result.WRITTEN) {
                                written.incrementAndGet();
                            } else if (applied.result() == null) {
                                notWritten.add(key, "completion " + recording.getCompletionId(), applied);
                            }
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    },
                    line::update);
            for (Future<RecordMetadata> future : sent) {
                future.get();
            }
        } catch (IllegalArgumentException e) {
            spec.commandLine().getErr().println(e.getMessage());
            return 1;
        } finally {
            deleteTree(stateDir);
        }
        line.finish(summary.events(), summary.events(), summary.bytes());
        spec.commandLine()
                .getOut()
                .printf(
                        "%d events read: %d recordings rebuilt (%d incomplete), %d exchanges failed"
                                + " (see the log)%s%n",
                        summary.events(),
                        summary.recordings(),
                        summary.incomplete(),
                        summary.failed(),
                        target.topic != null
                                ? ", sent to " + target.topic
                                : "; " + written.get() + " fixtures written under " + target.fixtures + ", "
                                        + notWritten.summary());
        spec.commandLine().getOut().flush();
        return summary.failed() > 0 ? 1 : 0;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            for (Path path : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
