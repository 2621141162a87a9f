package dev.tapeline.app.batch;

import dev.tapeline.fixture.repo.ChunkTiming;
import dev.tapeline.fixture.repo.FixtureFile;
import dev.tapeline.fixture.shape.FixtureKeys;
import dev.tapeline.schema.Framing;
import dev.tapeline.schema.Header;
import dev.tapeline.schema.Outcome;
import dev.tapeline.schema.RecordedChunk;
import dev.tapeline.schema.RecordedRequest;
import dev.tapeline.schema.RecordedResponse;
import dev.tapeline.schema.Recording;
import dev.tapeline.schema.SourceFixture;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Backfill: puts an existing fixture repository (any llama-stack generation) on the recordings
 * topic, one record per fixture under the key the live pipeline would give it. Each record holds
 * the request and response as the wire carried them, for downstream consumers, and the file itself
 * ({@code source}), so that replaying the topic gives every file back byte for byte, including
 * those no capture could reproduce. A timing sidecar becomes its fixture's chunk offsets.
 */
public final class FixtureImport {

    private static final Logger LOG = LoggerFactory.getLogger(FixtureImport.class);

    /** How an import went. */
    public record Summary(long imported, long bytes, List<String> skipped) {}

    private FixtureImport() {}

    /** Sends every fixture under {@code root}, in path order; returns once all are acknowledged. */
    public static Summary run(Path root, Producer<String, Recording> producer, String topic, Consumer<Long> progress)
            throws IOException, InterruptedException {
        List<Path> files = FixtureFile.under(root);
        List<String> skipped = new ArrayList<>();
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        long bytes = 0;
        for (Path file : files) {
            String relative = root.relativize(file).toString().replace('\\', '/');
            byte[] content = Files.readAllBytes(file);
            FixtureFile fixture;
            try {
                fixture = FixtureFile.read(file);
            } catch (IOException | RuntimeException e) {
                skipped.add(relative + ": not a fixture (" + e.getMessage() + ")");
                continue;
            }
            if (!fixture.root().has("request") || !fixture.root().has("response")) {
                skipped.add(relative + ": not a fixture (no request and response)");
                continue;
            }
            Recording recording = toRecording(fixture, relative, content, ChunkTiming.read(file));
            sent.add(producer.send(new ProducerRecord<>(topic, recording.getFixtureKey(), recording)));
            bytes += content.length;
            progress.accept((long) content.length);
        }
        producer.flush();
        for (Future<RecordMetadata> future : sent) {
            try {
                future.get();
            } catch (ExecutionException e) {
                throw new IOException(
                        "the recordings topic refused an imported fixture: " + e.getCause(), e.getCause());
            }
        }
        skipped.forEach(reason -> LOG.warn("not imported: {}", reason));
        return new Summary(sent.size(), bytes, skipped);
    }

    /**
     * The recording of a fixture file: the wire form of its request and response where the file
     * reads back into it (else the recorded request as it is, and why in {@code outcomeReason}),
     * and the file itself.
     */
    static Recording toRecording(FixtureFile fixture, String relativePath, byte[] content, List<Long> offsetsNanos) {
        String key = FixtureKeys.of(fixture.nameHash(), fixture.kind(), fixture.testId());
        Recording.Builder recording = Recording.newBuilder()
                .setFixtureKey(key)
                .setCompletionId("import-" + key)
                .setAgentId("tapeline-import")
                .setTestId(fixture.testId())
                .setStartedAtMs(Instant.EPOCH)
                .setDurationNanos(0)
                .setSource(new SourceFixture(relativePath, ByteBuffer.wrap(content)));
        try {
            List<byte[]> chunks = fixture.wireResponseChunks();
            List<RecordedChunk> recorded = new ArrayList<>();
            for (int i = 0; i < chunks.size(); i++) {
                long offset = i < offsetsNanos.size() ? offsetsNanos.get(i) : 0;
                recorded.add(new RecordedChunk(offset, null, ByteBuffer.wrap(chunks.get(i))));
            }
            Framing framing = fixture.wireForm().framing();
            List<Header> headers = fixture.responseHeaders().stream()
                    .map(h -> new Header(h.getKey(), h.getValue()))
                    .toList();
            recording
                    .setRequest(RecordedRequest.newBuilder()
                            .setMethod(fixture.wireMethod())
                            .setUrl(
                                    fixture.isPassthrough()
                                            ? fixture.url()
                                            : fixture.recordedBaseUrl() + fixture.wireEndpoint())
                            .setEndpoint(fixture.wireEndpoint())
                            .setHeaders(List.of())
                            .setBody(ByteBuffer.wrap(fixture.wireRequestBody()))
                            .setClientSdkVersion(fixture.clientSdkVersion())
                            .setServerVersion(fixture.serverVersion())
                            .setQuery(fixture.wireQuery())
                            .build())
                    .setResponse(RecordedResponse.newBuilder()
                            .setStatus(fixture.wireStatus())
                            .setHeaders(headers)
                            .setFraming(framing)
                            .setChunks(recorded)
                            .build())
                    .setOutcome(fixture.isInterrupted() ? Outcome.FAILED : Outcome.COMPLETED)
                    .setOutcomeReason(
                            fixture.isInterrupted()
                                    ? fixture.root()
                                            .path("response")
                                            .path("exception_message")
                                            .asText()
                                    : null);
        } catch (RuntimeException e) {
            // a file the wire form does not read back from (a call made inside llama-stack): its request as recorded
            recording
                    .setRequest(RecordedRequest.newBuilder()
                            .setMethod(fixture.root()
                                    .path("request")
                                    .path("method")
                                    .asText("POST"))
                            .setUrl(fixture.root().path("request").path("url").asText(""))
                            .setEndpoint(fixture.root()
                                    .path("request")
                                    .path("endpoint")
                                    .asText(""))
                            .setHeaders(List.of())
                            .setBody(ByteBuffer.wrap(
                                    fixture.root().path("request").toString().getBytes(StandardCharsets.UTF_8)))
                            .build())
                    .setResponse(RecordedResponse.newBuilder()
                            .setStatus(0)
                            .setHeaders(List.of())
                            .setFraming(Framing.BODY)
                            .setChunks(List.of())
                            .build())
                    .setOutcome(Outcome.COMPLETED)
                    .setOutcomeReason("imported as it is; not readable as wire traffic: " + e.getMessage());
        }
        return recording.build();
    }
}
