package dev.tapeline.agent.proxy;

import dev.tapeline.agent.AgentConfig;
import io.vertx.core.MultiMap;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** What the proxy does with HTTP header fields: which it forwards, and how it reads their values. */
final class Headers {

    /**
     * Connection-level fields a proxy does not forward (RFC 9110 §7.6.1), the credentials meant
     * for the proxy itself ({@code Proxy-Authorization}), and the agent's own route header.
     */
    private static final Set<String> HOP_BY_HOP = Set.of(
            "connection",
            "keep-alive",
            "proxy-connection",
            "transfer-encoding",
            "te",
            "trailer",
            "upgrade",
            "proxy-authenticate",
            "proxy-authorization",
            "host",
            "content-length",
            "expect",
            AgentConfig.ROUTE_HEADER.toLowerCase(Locale.ROOT));

    private Headers() {}

    /** The names (lower case) not to forward from these fields: the hop-by-hop ones and those {@code Connection} lists. */
    static Set<String> hopByHop(MultiMap headers) {
        List<String> connection = headers.getAll("connection");
        if (connection.isEmpty()) {
            return HOP_BY_HOP;
        }
        Set<String> dropped = new HashSet<>(HOP_BY_HOP);
        for (String value : connection) {
            for (String token : value.split(",")) {
                if (!token.isBlank()) {
                    dropped.add(token.trim().toLowerCase(Locale.ROOT));
                }
            }
        }
        return dropped;
    }

    /** The fields to forward, values as received (their bytes unchanged on the wire). */
    static MultiMap forwarded(MultiMap headers) {
        Set<String> dropped = hopByHop(headers);
        MultiMap forwarded = MultiMap.caseInsensitiveMultiMap();
        for (Map.Entry<String, String> header : headers) {
            if (!dropped.contains(header.getKey().toLowerCase(Locale.ROOT))) {
                forwarded.add(header.getKey(), header.getValue());
            }
        }
        return forwarded;
    }

    /** Every field in arrival order, values read as UTF-8 ({@link #utf8}): what the agent records. */
    static List<Map.Entry<String, String>> decoded(MultiMap headers) {
        List<Map.Entry<String, String>> list = new ArrayList<>(headers.size());
        headers.forEach(h -> list.add(new AbstractMap.SimpleImmutableEntry<>(h.getKey(), utf8(h.getValue()))));
        return list;
    }

    /**
     * A field value as its sender meant it. The HTTP parser maps each byte to one character
     * (ISO-8859-1); clients send UTF-8, so {@code ünï} arrives as {@code Ã¼nÃ¯}. A value whose
     * bytes are valid UTF-8 is read as UTF-8; any other keeps one character per byte.
     */
    static String utf8(String value) {
        if (value == null) {
            return null;
        }
        int i = 0;
        while (i < value.length() && value.charAt(i) < 0x80) {
            i++;
        }
        if (i == value.length()) {
            return value;
        }
        byte[] bytes = new byte[value.length()];
        for (int j = 0; j < value.length(); j++) {
            char c = value.charAt(j);
            if (c > 0xff) {
                return value; // not from the wire: already decoded
            }
            bytes[j] = (byte) c;
        }
        try {
            CharBuffer decoded = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes));
            return decoded.toString();
        } catch (CharacterCodingException e) {
            return value;
        }
    }
}
