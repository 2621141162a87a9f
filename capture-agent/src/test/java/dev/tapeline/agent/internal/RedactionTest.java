package dev.tapeline.agent.internal;

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
}
