package dev.tapeline.agent.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.MultiMap;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HeadersTest {

    /** A value as the HTTP parser hands it over: one character per byte. */
    private static String asParsed(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    @Test
    void givenUtf8BytesParsedOneCharacterPerByte_whenRead_thenTheSendersText() {
        assertThat(Headers.utf8(asParsed("\u00fcn\u00ef \u2603".getBytes(StandardCharsets.UTF_8))))
                .isEqualTo("\u00fcn\u00ef \u2603");
    }

    @Test
    void givenBytesThatAreNotUtf8_whenRead_thenOneCharacterPerByteAsBefore() {
        String latin1 = asParsed(new byte[] {'a', (byte) 0xfc, 'b'});

        assertThat(Headers.utf8(latin1)).isEqualTo("a\u00fcb");
    }

    @Test
    void givenAsciiOrNull_whenRead_thenUnchanged() {
        String ascii = "tests/a.py::t";

        assertThat(Headers.utf8(ascii)).isSameAs(ascii);
        assertThat(Headers.utf8(null)).isNull();
    }

    @Test
    void givenConnectionOptionsAndProxyCredentials_whenForwarded_thenOnlyEndToEndFieldsRemainInOrder() {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap()
                .add("Authorization", "Bearer sk")
                .add("Proxy-Authorization", "Basic eA==")
                .add("Connection", "keep-alive, X-Trace-Hop")
                .add("X-Trace-Hop", "1")
                .add("TE", "trailers")
                .add("X-Custom", "2");

        assertThat(Headers.forwarded(headers).names()).containsExactly("Authorization", "X-Custom");
    }
}
