package dev.tapeline.sink;

import dev.tapeline.fixture.CapturedExchange;
import dev.tapeline.schema.Buffers;
import dev.tapeline.schema.Framing;
import dev.tapeline.schema.RecordedChunk;
import dev.tapeline.schema.Recording;
import java.util.List;

/** Reads a Recording from the topic as the exchange the fixture format renders. */
final class RecordingExchanges {

    private RecordingExchanges() {
    }

    /** When each chunk the fixture keeps arrived (an SSE stream's {@code [DONE]} is not kept). */
    static List<Long> chunkOffsets(Recording recording) {
        return recording.getResponse().getChunks().stream()
                .filter(chunk -> !java.util.Arrays.equals(Buffers.toArray(chunk.getData()), DONE))
                .map(RecordedChunk::getOffsetNanos)
                .toList();
    }

    private static final byte[] DONE = "[DONE]".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    static CapturedExchange toExchange(Recording recording) {
        List<byte[]> chunks = recording.getResponse().getChunks().stream()
                .map(RecordedChunk::getData)
                .map(Buffers::toArray)
                .toList();
        return new CapturedExchange(
                recording.getRequest().getMethod(),
                recording.getRequest().getUrl(),
                recording.getRequest().getEndpoint(),
                Buffers.toArray(recording.getRequest().getBody()),
                recording.getTestId(),
                recording.getRequest().getClientSdkVersion(),
                recording.getResponse().getStatus(),
                recording.getResponse().getFraming() != Framing.BODY,
                chunks,
                recording.getRequest().getServerVersion(),
                recording.getResponse().getChunks().stream().map(RecordedChunk::getSseEvent).toList(),
                recording.getRequest().getQuery(),
                recording.getResponse().getHeaders().stream()
                        .map(h -> java.util.Map.entry(h.getName(), h.getValue())).toList());
    }
}
