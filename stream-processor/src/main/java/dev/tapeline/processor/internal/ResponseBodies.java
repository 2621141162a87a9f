package dev.tapeline.processor.internal;

import dev.tapeline.fixture.NdjsonFramer;
import dev.tapeline.fixture.SseFramer;
import dev.tapeline.schema.Buffers;
import dev.tapeline.schema.Framing;
import dev.tapeline.schema.Framings;
import dev.tapeline.schema.Header;
import dev.tapeline.schema.RecordedChunk;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;
import java.util.zip.ZipException;

/**
 * A response body as the Recording keeps it: decoded (gzip, deflate) and cut into the chunks its
 * content type implies. The agent captures a compressed body as raw pieces because events
 * cannot be told apart before decoding; this is where they are decoded and framed.
 */
final class ResponseBodies {

    /** Largest decoded body accepted (a guard against decompression bombs). */
    static final int MAX_DECODED_BYTES = 256 * 1024 * 1024;

    /** The chunks to record, their framing, and why the body was kept raw, if it was. */
    record Framed(Framing framing, List<RecordedChunk> chunks, String problem) {
    }

    private ResponseBodies() {
    }

    static Framed frame(Framing captured, List<Header> headers, List<RecordedChunk> pieces) {
        if (captured != Framing.BODY) {
            return new Framed(captured, pieces, null);
        }
        long offset = pieces.isEmpty() ? 0 : pieces.get(0).getOffsetNanos();
        byte[] body = concatenate(pieces);
        String encoding = Framings.header(headers, "content-encoding");
        if (Framings.isEncoded(encoding)) {
            try {
                body = decode(encoding.trim().toLowerCase(Locale.ROOT), body);
            } catch (IOException | UnsupportedOperationException e) {
                return new Framed(Framing.BODY, List.of(chunk(offset, null, body)),
                        "content-encoding " + encoding + " not decoded: " + e.getMessage());
            }
        }
        Framing framing = Framings.ofContentType(Framings.header(headers, "content-type"));
        List<RecordedChunk> chunks = new ArrayList<>();
        switch (framing) {
            case SSE -> {
                SseFramer framer = new SseFramer((event, data) -> chunks.add(chunk(offset, event, data)), MAX_DECODED_BYTES);
                framer.feed(body);
                framer.finish();
            }
            case NDJSON -> {
                NdjsonFramer framer = new NdjsonFramer(line -> chunks.add(chunk(offset, null, line)), MAX_DECODED_BYTES);
                framer.feed(body);
                framer.finish();
            }
            default -> chunks.add(chunk(offset, null, body));
        }
        return new Framed(framing, chunks, null);
    }

    static byte[] decode(String encoding, byte[] body) throws IOException {
        switch (encoding) {
            case "gzip", "x-gzip" -> {
                return readBounded(new GZIPInputStream(new ByteArrayInputStream(body)));
            }
            case "deflate" -> {
                try {
                    return readBounded(new InflaterInputStream(new ByteArrayInputStream(body)));
                } catch (ZipException e) {
                    // some servers send raw deflate without the zlib wrapper
                    return readBounded(new InflaterInputStream(new ByteArrayInputStream(body), new Inflater(true)));
                }
            }
            default -> throw new UnsupportedOperationException("no decoder for " + encoding);
        }
    }

    private static byte[] readBounded(InputStream in) throws IOException {
        try (in) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) > 0; ) {
                if (out.size() + n > MAX_DECODED_BYTES) {
                    throw new IOException("decoded body exceeds " + MAX_DECODED_BYTES + " bytes");
                }
                out.write(buffer, 0, n);
            }
            return out.toByteArray();
        }
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
