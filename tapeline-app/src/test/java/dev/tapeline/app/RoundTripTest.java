package dev.tapeline.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapeline.fixture.python.PyJson;
import dev.tapeline.fixture.repo.FixtureFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RoundTripTest {

    @TempDir
    Path dir;

    @Test
    void givenANormalizedDump_whenMadeProviderLike_thenIdsTimesAndDurationsLookRealAndStayTheSameForTheFile()
            throws Exception {
        Path file = dir.resolve("recordings/abc.json");
        Files.createDirectories(file.getParent());
        Files.writeString(file, "{\"request\":{},\"response\":{}}");
        FixtureFile fixture = FixtureFile.read(file);
        var normalized = PyJson.parse(
                "{\"id\":\"rec-0123456789ab\",\"created\":0,\"created_at\":\"1970-01-01T00:00:00.000000Z\","
                        + "\"total_duration\":0,\"object\":\"chat.completion\"}");

        var provider = RoundTrip.providerLike(fixture, normalized);

        assertThat(provider.path("id").asText()).startsWith("chatcmpl-").doesNotContain("rec-");
        assertThat(provider.path("created").asLong()).isEqualTo(1_718_000_000L);
        assertThat(provider.path("created_at").asText()).isEqualTo("2025-08-15T20:24:49.18651486Z");
        assertThat(provider.path("total_duration").asLong()).isEqualTo(183_650_123L);
        assertThat(RoundTrip.providerLike(fixture, normalized)).isEqualTo(provider);
        assertThat(normalized.path("id").asText())
                .as("the dump itself untouched")
                .isEqualTo("rec-0123456789ab");
    }
}
