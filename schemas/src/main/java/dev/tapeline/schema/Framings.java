package dev.tapeline.schema;

import java.util.List;
import java.util.Locale;

/** How a response body is cut into chunks, decided from its headers. */
public final class Framings {

    private Framings() {
    }

    /** By content type alone: SSE, NDJSON, or a plain body. */
    public static Framing ofContentType(String contentType) {
        String type = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT).trim();
        if (type.startsWith("text/event-stream")) {
            return Framing.SSE;
        }
        if (type.startsWith("application/x-ndjson") || type.startsWith("application/ndjson")) {
            return Framing.NDJSON;
        }
        return Framing.BODY;
    }

    /**
     * As the agent captures it: a compressed body is kept as raw pieces (BODY), since events
     * cannot be told apart before decoding; the processor decodes and frames it.
     */
    public static Framing forCapture(String contentType, String contentEncoding) {
        return isEncoded(contentEncoding) ? Framing.BODY : ofContentType(contentType);
    }

    public static boolean isEncoded(String contentEncoding) {
        return contentEncoding != null && !contentEncoding.isBlank()
                && !contentEncoding.trim().equalsIgnoreCase("identity");
    }

    /** The first value of a header, by case-insensitive name, or null. */
    public static String header(List<Header> headers, String name) {
        for (Header header : headers) {
            if (header.getName().equalsIgnoreCase(name)) {
                return header.getValue();
            }
        }
        return null;
    }
}
