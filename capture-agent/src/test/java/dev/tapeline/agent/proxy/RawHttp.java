package dev.tapeline.agent.proxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.function.Predicate;

/**
 * An HTTP/1.1 client on a plain socket, for what an SDK's client will not do: raw UTF-8 header
 * bytes, hop-by-hop headers, closing the connection at an exact byte. Shared with the
 * application's tests (this module's test jar).
 */
public final class RawHttp {

    /**
     * What the client has read so far.
     *
     * @param head   status line and headers
     * @param body   the body as sent (chunked framing removed), as far as it came
     * @param whole  the whole message came: its {@code Content-Length}, or the terminating chunk
     * @param closed the server closed the connection (or reset it) before the client stopped reading
     */
    public record Received(String head, String body, boolean whole, boolean closed) {

        public int status() {
            return head.length() < 12 ? -1 : Integer.parseInt(head.substring(9, 12));
        }

        /** A client that knows when it is done: the {@code Content-Length} bytes, or an SSE stream up to {@code data: [DONE]}. */
        public boolean lastByte() {
            return whole || body.contains("data: [DONE]\n\n");
        }

        /** Server-sent events (data lines) received so far. */
        public int events() {
            int count = 0;
            for (int at = body.indexOf("data: "); at >= 0; at = body.indexOf("data: ", at + 1)) {
                count++;
            }
            return count;
        }
    }

    private RawHttp() {}

    /** A POST of {@code body} with the given header lines (each {@code "Name: value"}), as bytes. */
    public static byte[] post(String path, String body, String... headers) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        StringBuilder head = new StringBuilder("POST " + path + " HTTP/1.1\r\nHost: test\r\n"
                + "Content-Type: application/json\r\nContent-Length: " + bytes.length + "\r\n");
        for (String header : headers) {
            head.append(header).append("\r\n");
        }
        head.append("\r\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(head.toString().getBytes(StandardCharsets.UTF_8));
        out.writeBytes(bytes);
        return out.toByteArray();
    }

    /**
     * Sends the request, reads until {@code enough} says so (or the server closes), then closes the
     * connection at once, without reading anything after it.
     *
     * @throws IOException when nothing more came for 30 s: a test waiting for bytes that never come fails instead of hanging
     */
    public static Received readThenClose(int port, byte[] request, Predicate<Received> enough) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(request);
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream raw = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            while (true) {
                Received received = parse(raw.toString(StandardCharsets.ISO_8859_1), false);
                if (received != null && enough.test(received)) {
                    return utf8(received);
                }
                int n;
                try {
                    n = in.read(buffer);
                } catch (java.net.SocketTimeoutException e) {
                    throw new IOException("nothing more for 30 s after: " + raw.toString(StandardCharsets.UTF_8), e);
                } catch (java.net.SocketException reset) {
                    n = -1;
                }
                if (n < 0) {
                    Received last = parse(raw.toString(StandardCharsets.ISO_8859_1), true);
                    return last == null ? new Received("", "", false, true) : utf8(last);
                }
                raw.write(buffer, 0, n);
            }
        }
    }

    /** Reads the answer as a client that knows when it is done does, then closes at once. */
    public static String exchangeThenClose(int port, byte[] request) throws IOException {
        Received received = readThenClose(port, request, Received::lastByte);
        if (!received.lastByte()) {
            throw new IOException("connection closed before the answer was whole: " + received);
        }
        return received.head() + received.body();
    }

    /** Reads until the agent closes the connection (or breaks it); send {@code Connection: close}. */
    public static String exchangeToEnd(int port, byte[] request) throws IOException {
        Received received = readThenClose(port, request, r -> false);
        return received.head() + received.body();
    }

    /** The text read so far as a message; null before the head is complete. Bytes stay one char each until decoded. */
    private static Received parse(String raw, boolean closed) {
        int headEnd = raw.indexOf("\r\n\r\n");
        if (headEnd < 0) {
            return null;
        }
        String head = raw.substring(0, headEnd + 4);
        String rest = raw.substring(headEnd + 4);
        long length = header(head, "content-length");
        if (length >= 0) {
            return new Received(
                    head, rest.substring(0, (int) Math.min(rest.length(), length)), rest.length() >= length, closed);
        }
        StringBuilder data = new StringBuilder();
        int at = 0;
        while (true) {
            int lineEnd = rest.indexOf("\r\n", at);
            if (lineEnd < 0) {
                return new Received(head, data.toString(), false, closed);
            }
            int size =
                    Integer.parseInt(rest.substring(at, lineEnd).split(";")[0].trim(), 16);
            int start = lineEnd + 2;
            if (size == 0) {
                return new Received(head, data.toString(), rest.length() >= start + 2, closed);
            }
            if (rest.length() < start + size + 2) {
                data.append(rest, start, Math.min(rest.length(), start + size));
                return new Received(head, data.toString(), false, closed);
            }
            data.append(rest, start, start + size);
            at = start + size + 2;
        }
    }

    private static Received utf8(Received latin1) {
        return new Received(
                latin1.head(),
                new String(latin1.body().getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8),
                latin1.whole(),
                latin1.closed());
    }

    private static long header(String head, String name) {
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                return Long.parseLong(line.substring(colon + 1).trim());
            }
        }
        return -1;
    }
}
