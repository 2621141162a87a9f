package dev.tapeline.sink;

import dev.tapeline.fixture.CapturedExchange;
import dev.tapeline.fixture.FixtureRequest;
import dev.tapeline.fixture.Interruption;
import dev.tapeline.schema.Buffers;
import dev.tapeline.schema.FailureReason;
import dev.tapeline.schema.Framing;
import dev.tapeline.schema.Outcome;
import dev.tapeline.schema.RecordedChunk;
import dev.tapeline.schema.Recording;
import java.util.List;

/** Reads a Recording from the topic as the exchange the fixture format renders. */
final class RecordingExchanges {

    private RecordingExchanges() {}

    /** When each chunk the fixture keeps arrived (an SSE stream's {@code [DONE]} is not kept). */
    static List<Long> chunkOffsets(Recording recording) {
        return recording.getResponse().getChunks().stream()
                .filter(chunk -> !dev.tapeline.fixture.wire.Framings.isDone(Buffers.toArray(chunk.getData())))
                .map(RecordedChunk::getOffsetNanos)
                .toList();
    }

    /**
     * What the client saw when a recorded exchange broke off, as the Python exception the OpenAI
     * SDK (httpx) raises for it; null where the recording cannot stand for what the client got:
     * events the agent could not keep (CAPTURE_LOST, UNKNOWN: capture stopped), or bodies left out
     * because of their size.
     */
    static Interruption interruption(Recording recording) {
        String reason = recording.getOutcomeReason() == null ? "" : recording.getOutcomeReason();
        if (recording.getOutcome() == Outcome.INCOMPLETE) {
            return new Interruption("ReadTimeout", reason);
        }
        FailureReason failure = failureOf(recording);
        if (failure == null) {
            return null;
        }
        return switch (failure) {
            case UPSTREAM_RESET, AGENT_SHUTDOWN -> new Interruption("RemoteProtocolError", reason);
            case UPSTREAM_TIMEOUT -> new Interruption("ReadTimeout", reason);
            case UPSTREAM_ERROR -> new Interruption("APIConnectionError", reason);
            case CLIENT_DISCONNECT -> new Interruption("CancelledError", reason);
            // events the agent could not keep, or a reason it could not name: not what the client got
            case CAPTURE_LOST, UNKNOWN, TIMEOUT -> null;
        };
    }

    /**
     * The agent's reason of a FAILED recording, or null where it names none; recordings written
     * before the field carry it in words, as the reason's prefix ({@code UPSTREAM_RESET: ...}).
     */
    private static FailureReason failureOf(Recording recording) {
        if (recording.getFailureReason() != null) {
            return recording.getFailureReason();
        }
        String reason = recording.getOutcomeReason() == null ? "" : recording.getOutcomeReason();
        int colon = reason.indexOf(':');
        String name = colon < 0 ? "" : reason.substring(0, colon);
        for (FailureReason known : FailureReason.values()) {
            if (known.name().equals(name)) {
                return known;
            }
        }
        return null;
    }

    static CapturedExchange toExchange(Recording recording) {
        List<byte[]> chunks = recording.getResponse().getChunks().stream()
                .map(RecordedChunk::getData)
                .map(Buffers::toArray)
                .toList();
        return new CapturedExchange(
                FixtureRequest.of(recording),
                recording.getRequest().getClientSdkVersion(),
                recording.getRequest().getServerVersion(),
                recording.getResponse().getStatus(),
                recording.getResponse().getFraming() != Framing.BODY,
                chunks,
                recording.getResponse().getChunks().stream()
                        .map(RecordedChunk::getSseEvent)
                        .toList(),
                recording.getResponse().getHeaders().stream()
                        .map(h -> java.util.Map.entry(h.getName(), h.getValue()))
                        .toList());
    }
}
