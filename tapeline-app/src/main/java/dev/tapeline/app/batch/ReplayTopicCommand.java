package dev.tapeline.app.batch;

import dev.tapeline.app.LayoutOptions;
import dev.tapeline.app.Topics;
import dev.tapeline.schema.Outcome;
import dev.tapeline.schema.Recording;
import dev.tapeline.schema.serde.ConfluentAvroSerde;
import dev.tapeline.sink.FixtureWriter;
import dev.tapeline.sink.RecordingWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code tapeline replay-topic}: the recordings topic, or a range of it, into a fixture directory, then exit. */
@Command(
        name = "replay-topic",
        mixinStandardHelpOptions = true,
        description = "Write the recordings topic (all of it, or a range, filtered) into a fixture directory and exit."
                + " Reads without a consumer group and commits nothing; a second run writes nothing.")
public final class ReplayTopicCommand implements Callable<Integer> {

    @Mixin
    KafkaOptions kafka;

    @Option(
            names = "--topic",
            defaultValue = Topics.RECORDINGS,
            description = "Recordings topic (default: ${DEFAULT-VALUE}).")
    String topic;

    @Mixin
    LayoutOptions layoutOptions;

    @Option(
            names = "--fixtures",
            defaultValue = "fixtures",
            description = "Fixture directory to write (default: ${DEFAULT-VALUE}).")
    Path fixtures;

    @Mixin
    RangeOptions range;

    @Option(
            names = "--endpoint",
            description = "Repeatable: only recordings of this endpoint, as called (e.g." + " /v1/chat/completions).")
    Set<String> endpoints = new LinkedHashSet<>();

    @Option(names = "--model", description = "Repeatable: only recordings whose request names this model.")
    Set<String> models = new LinkedHashSet<>();

    @Option(names = "--test-id-prefix", description = "Only recordings whose test id starts with this.")
    String testIdPrefix;

    @Option(
            names = "--outcome",
            description = "Repeatable: only recordings with this outcome: ${COMPLETION-CANDIDATES}.")
    Set<Outcome> outcomes = new LinkedHashSet<>();

    @Option(
            names = "--write-incomplete",
            description = "Also write exchanges that broke off (see tapeline run --help).")
    boolean writeIncomplete;

    @Option(
            names = "--re-render",
            description = "Render imported fixtures from their recording as well, instead of"
                    + " writing them back as they were (to move them to another --profile or --hash-rules).")
    boolean reRender;

    @Option(
            names = "--verbose",
            description = "Name each record that becomes no fixture, with its reason (INFO); the summary counts them"
                    + " by reason either way.")
    boolean verbose;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        kafka.checkReachable();
        TopicRange.Bound start = range.start(spec);
        TopicRange.Bound end = range.end(spec);
        RecordingWriter writer =
                new RecordingWriter(new FixtureWriter(fixtures), layoutOptions.layout(spec), writeIncomplete, reRender);
        TopicReplay.Filter filter = new TopicReplay.Filter(endpoints, models, testIdPrefix, outcomes);
        ProgressLine line = ProgressLine.onStderr("records");
        TopicReplay.Progress done;
        NotWrittenTally notWritten = new NotWrittenTally(verbose);
        try (KafkaConsumer<String, Recording> consumer = new KafkaConsumer<>(
                kafka.rangeReaderConfig(),
                new StringDeserializer(),
                ConfluentAvroSerde.<Recording>forValues(Recording.getClassSchema(), kafka.registry())
                        .deserializer())) {
            done = TopicReplay.run(
                    consumer,
                    topic,
                    start,
                    end,
                    filter,
                    writer,
                    notWritten,
                    p -> line.update(p.records(), p.total(), p.bytes()),
                    Duration.ofSeconds(60));
        } catch (IllegalArgumentException e) {
            spec.commandLine().getErr().println(e.getMessage());
            return 1;
        }
        line.finish(done.records(), done.records(), done.bytes());
        spec.commandLine()
                .getOut()
                .printf(
                        "%d records read: %d fixtures written, %d unchanged, %d deleted; %d filtered"
                                + " out, %s, %d unreadable, %d failed (see the log)%n",
                        done.records(),
                        done.written(),
                        done.unchanged(),
                        done.deleted(),
                        done.filtered(),
                        notWritten.summary(),
                        done.unreadable(),
                        done.failed());
        spec.commandLine().getOut().flush();
        return done.unreadable() > 0 || done.failed() > 0 ? 1 : 0;
    }
}
