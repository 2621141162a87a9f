package dev.tapeline.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tapeline.agent.AgentMode;
import dev.tapeline.agent.Route;
import dev.tapeline.schema.CaptureEvent;
import dev.tapeline.schema.Recording;
import dev.tapeline.schema.history.SchemaHistory;
import dev.tapeline.schema.registry.RegistryConfig;
import dev.tapeline.schema.registry.RestSchemaRegistryClient;
import dev.tapeline.schema.serde.ConfluentAvroSerde;
import dev.tapeline.sink.FixtureSink;
import dev.tapeline.sink.FixtureWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Records written by every landed version of the schemas ({@link SchemaHistory}), on the topics
 * of a running Tapeline: today's processor assembles the old capture events, today's sink writes
 * the old recordings, and replay-topic and rerender read both, all into the same fixtures.
 */
class OldRecordsIT {

    @TempDir
    Path dir;

    private static Map<String, byte[]> files(Path root) throws Exception {
        Map<String, byte[]> files = new TreeMap<>();
        for (Path file : FixtureFiles.visible(root)) {
            files.put(root.relativize(file).toString(), Files.readAllBytes(file));
        }
        return files;
    }

    /** A batch command ({@code replay-topic}, {@code rerender}) of the stack's topics into {@code fixtures}. */
    private static Map<String, byte[]> batchInto(Stack stack, String command, Path fixtures) throws Exception {
        Cli.Result result = Cli.run(
                command,
                "--bootstrap-servers",
                stack.bootstrapServers(),
                "--schema-registry-url",
                stack.registryUrl(),
                "--fixtures",
                fixtures.toString());
        assertThat(result.exitCode()).as(command + ": " + result.err()).isZero();
        return files(fixtures);
    }

    @Test
    void givenRecordsOfEveryOlderSchemaOnTheTopics_whenTodaysPartsReadThem_thenEachBecomesItsFixture()
            throws Exception {
        List<SchemaHistory.Version> versions = SchemaHistory.versions();
        Path fixtures = dir.resolve("fixtures");
        List<FixtureSink.Written> written = new CopyOnWriteArrayList<>();
        try (Stack stack = Stack.start(
                Stack.Settings.allInOne(
                                dir.resolve("data"),
                                // no agent runs: the records come from the history, not from traffic
                                List.of(new Route(
                                        "sim", "/", URI.create("http://127.0.0.1:9"), "http://localhost:8000/v1")),
                                fixtures,
                                AgentMode.RECORD)
                        .withComponents(EnumSet.of(PipelineConfig.Component.PROCESSOR, PipelineConfig.Component.SINK)),
                written::add)) {
            RestSchemaRegistryClient registry = new RestSchemaRegistryClient(RegistryConfig.of(stack.registryUrl()));
            Map<String, Object> producerConfig = Map.of("bootstrap.servers", stack.bootstrapServers(), "acks", "all");
            try (KafkaProducer<String, byte[]> producer =
                    new KafkaProducer<>(producerConfig, new StringSerializer(), new ByteArraySerializer())) {
                // the capture events of one exchange per version, as an agent of that version wrote them
                for (SchemaHistory.Version version : versions) {
                    int id = registry.register("tapeline.capture.events-value", version.captureEvent());
                    for (CaptureEvent event : SchemaHistory.chatExchange(
                            "old-" + version.name(),
                            "tests/integration/history/test_old.py::test_version[" + version.name() + "]",
                            "written by " + version.name())) {
                        producer.send(new ProducerRecord<>(
                                "tapeline.capture.events",
                                event.getCompletionId(),
                                ConfluentAvroSerde.frame(id, SchemaHistory.writtenBy(version.captureEvent(), event))));
                    }
                }
                producer.flush();
                await().atMost(Duration.ofSeconds(60))
                        .until(() -> FixtureFiles.visible(fixtures).size() == versions.size());
                Map<String, byte[]> assembled = files(fixtures);

                // each recording again, as a processor of each version wrote it: the sink finds its fixture as it is
                Map<String, List<Recording>> recordings = RecordingsOnTopic.byExchange(
                        stack.bootstrapServers(),
                        stack.registryUrl(),
                        Recording::getCompletionId,
                        versions.size(),
                        Duration.ofSeconds(1));
                written.clear();
                List<String> keys = new ArrayList<>();
                for (SchemaHistory.Version version : versions) {
                    Recording recording =
                            recordings.get("old-" + version.name()).get(0);
                    int id = registry.register("tapeline.recordings-value", version.recording());
                    producer.send(new ProducerRecord<>(
                            "tapeline.recordings",
                            recording.getFixtureKey(),
                            ConfluentAvroSerde.frame(id, SchemaHistory.writtenBy(version.recording(), recording))));
                    keys.add(recording.getFixtureKey());
                }
                producer.flush();
                await().atMost(Duration.ofSeconds(60)).until(() -> written.size() == versions.size());
                assertThat(written)
                        .extracting(FixtureSink.Written::result)
                        .containsOnly(FixtureWriter.Result.UNCHANGED);
                assertThat(written)
                        .extracting(FixtureSink.Written::fixtureKey)
                        .containsExactlyInAnyOrderElementsOf(keys);
                assertThat(files(fixtures)).containsExactlyEntriesOf(assembled);

                // the batch tools read both generations on the topics into the same files
                assertThat(batchInto(stack, "replay-topic", dir.resolve("replayed")))
                        .containsExactlyEntriesOf(assembled);
                assertThat(batchInto(stack, "rerender", dir.resolve("rerendered")))
                        .containsExactlyEntriesOf(assembled);
            }
        }
    }
}
