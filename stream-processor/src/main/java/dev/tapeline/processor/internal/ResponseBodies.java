package dev.tapeline.processor.internal;

import dev.tapeline.fixture.wire.BodyDecoding;
import dev.tapeline.fixture.wire.Chunking;
import dev.tapeline.fixture.wire.Framings;
import dev.tapeline.schema.Buffers;
import dev.tapeline.schema.Framing;
import dev.tapeline.schema.Header;
import dev.tapeline.schema.RecordedChunk;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A response body as the Recording keeps it: decoded (gzip, deflate) and cut into the chunks its
 * content type implies. The agent captures a compressed body as raw pieces because events
 * cannot be told apart before decoding; this is where they are decoded and framed.
 */
public final class ResponseBodies {

    /** Largest decoded body accepted (a guard against decompression bombs). */
    static final int MAX_DECODED_BYTES = 256 * 1024 * 1024;

    /** The chunks to record, their framing, and why the body was kept raw, if it was. */
    public record Framed(Framing framing, List<RecordedChunk> chunks, String problem) {}

    private ResponseBodies() {}

    public static Framed frame(Framing captured, List<Header> headers, List<RecordedChunk> pieces) {
        if (captured != Framing.BODY) {
            return new Framed(captured, pieces, null);
        }
        long offset = pieces.isEmpty() ? 0 : pieces.get(0).getOffsetNanos();
        byte[] body = concatenate(pieces);
        String encoding = Framings.header(headers, "content-encoding");
        if (Framings.isEncoded(encoding)) {
            try {
                body = BodyDecoding.decode(encoding.trim().toLowerCase(Locale.ROOT), body, MAX_DECODED_BYTES);
            } catch (IOException | UnsupportedOperationException e) {
                return new Framed(
                        Framing.BODY,
                        List.of(chunk(offset, null, body)),
                        "content-encoding " + encoding + " not decoded: " + e.getMessage());
            }
        }
        Framing framing = Framings.ofContentType(Framings.header(headers, "content-type"));
        List<RecordedChunk> chunks = new ArrayList<>();
        Chunking.split(framing, body, MAX_DECODED_BYTES, (event, data) -> chunks.add(chunk(offset, event, data)));
        return new Framed(framing, chunks, null);
    }

    private static byte[] concatenate(List<RecordedChunk> pieces) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        pieces.forEach(piece -> body.writeBytes(Buffers.toArray(piece.getData())));
        return body.toByteArray();
    }

    private static RecordedChunk chunk(long offset, String event, byte[] data) {
        return new RecordedChunk(offset, event, ByteBuffer.wrap(data));
    }
}
