package dev.tapeline.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.junit.jupiter.api.Test;

class RedactionTest {

    @Test
    void givenSecretQueryParams_whenMasked_thenOnlyTheirValuesReplaced() {
        assertThat(Redaction.maskQuery("alt=sse&key=AIzaSECRET&Api_Key=s2&x=1", Set.of("key", "api_key")))
                .isEqualTo("alt=sse&key=REDACTED&Api_Key=REDACTED&x=1");
        assertThat(Redaction.maskQuery(null, Set.of("key"))).isNull();
        assertThat(Redaction.maskQuery("key", Set.of("key"))).isEqualTo("key");
    }

    @Test
    void givenSecretBodyPaths_whenMasked_thenOnlyThoseValuesReplacedAndTheRestKeptInOrder() {
        byte[] body = ("{\"model\":\"m\",\"api_key\":\"sk-1\",\"extra_body\":{\"project_id\":\"p\",\"x\":1},"
                        + "\"messages\":[{\"role\":\"user\",\"token\":\"t1\"},{\"role\":\"user\",\"token\":\"t2\"}]}")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);

        byte[] masked = Redaction.maskBodyPaths(
                body, java.util.List.of("api_key", "extra_body.project_id", "messages.*.token", "not.there"));

        assertThat(new String(masked, java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo("{\"model\":\"m\",\"api_key\":"
                        + "\"REDACTED\",\"extra_body\":{\"project_id\":\"REDACTED\",\"x\":1},\"messages\":[{\"role\":\"user\","
                        + "\"token\":\"REDACTED\"},{\"role\":\"user\",\"token\":\"REDACTED\"}]}");
    }

    @Test
    void givenNoMatchOrNoJson_whenMasked_thenTheSameBytes() {
        byte[] body = "{\"model\": \"m\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] text = "not json".getBytes(java.nio.charset.StandardCharsets.UTF_8);

        assertThat(Redaction.maskBodyPaths(body, java.util.List.of("api_key"))).isSameAs(body);
        assertThat(Redaction.maskBodyPaths(text, java.util.List.of("api_key"))).isSameAs(text);
    }
}
