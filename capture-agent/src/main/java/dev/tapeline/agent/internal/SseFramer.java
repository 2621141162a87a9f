package dev.tapeline.agent.internal;

import java.io.ByteArrayOutputStream;

/**
 * Cuts a server-sent-event stream into events as bytes arrive, holding only the unfinished line
 * and the data of the unfinished event. Handles {@code \n}, {@code \r\n} and {@code \r} line
 * ends, comment lines, {@code event:} names, multi-line {@code data:} fields, events split across
 * reads and several events in one read. A stream that ends without a blank line still yields its
 * last event on {@link #finish()}.
 */
public final class SseFramer {

    /** Receives each complete event. */
    @FunctionalInterface
    public interface Listener {
        void onEvent(String eventName, byte[] data);
    }

    private final Listener listener;
    private final int maxEventBytes;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
    private final ByteArrayOutputStream data = new ByteArrayOutputStream(256);
    private boolean hasData;
    private String eventName;
    private boolean lastWasCr;

    public SseFramer(Listener listener, int maxEventBytes) {
        this.listener = listener;
        this.maxEventBytes = maxEventBytes;
    }

    public void feed(byte[] bytes) {
        for (byte b : bytes) {
            if (b == '\n' && lastWasCr) {
                lastWasCr = false;
                continue;
            }
            lastWasCr = b == '\r';
            if (b == '\n' || b == '\r') {
                endLine();
            } else {
                if (line.size() >= maxEventBytes) {
                    throw new IllegalStateException("SSE line longer than " + maxEventBytes + " bytes");
                }
                line.write(b);
            }
        }
    }

    /** End of stream: a pending line and event are delivered as if terminated. */
    public void finish() {
        if (line.size() > 0) {
            endLine();
        }
        dispatch();
    }

    private void endLine() {
        byte[] bytes = line.toByteArray();
        line.reset();
        if (bytes.length == 0) {
            dispatch();
            return;
        }
        if (bytes[0] == ':') {
            return; // comment / keep-alive
        }
        int colon = indexOf(bytes, (byte) ':');
        String field = new String(bytes, 0, colon < 0 ? bytes.length : colon, java.nio.charset.StandardCharsets.UTF_8);
        int valueStart = colon < 0 ? bytes.length : colon + 1;
        if (valueStart < bytes.length && bytes[valueStart] == ' ') {
            valueStart++;
        }
        switch (field) {
            case "data" -> {
                if (hasData) {
                    data.write('\n');
                }
                data.write(bytes, valueStart, bytes.length - valueStart);
                hasData = true;
                if (data.size() > maxEventBytes) {
                    throw new IllegalStateException("SSE event larger than " + maxEventBytes + " bytes");
                }
            }
            case "event" -> eventName = new String(bytes, valueStart, bytes.length - valueStart,
                    java.nio.charset.StandardCharsets.UTF_8);
            default -> {
                // id:, retry: and unknown fields carry nothing a recording needs
            }
        }
    }

    private void dispatch() {
        if (hasData) {
            listener.onEvent(eventName, data.toByteArray());
        }
        data.reset();
        hasData = false;
        eventName = null;
    }

    private static int indexOf(byte[] bytes, byte value) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == value) {
                return i;
            }
        }
        return -1;
    }
}
