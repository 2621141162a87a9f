package dev.tapeline.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tapeline.agent.proxy.ExchangeRequest;
import java.net.URI;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AgentConfigTest {

    @Test
    void givenSeveralProblems_whenBuilt_thenAllReportedWithFieldNames() {
        assertThatThrownBy(() -> new AgentConfig("", 70000, " ", List.of(), 0, Set.of(), Set.of(), null))
                .hasMessageContaining("host")
                .hasMessageContaining("port")
                .hasMessageContaining("agentId")
                .hasMessageContaining("routes")
                .hasMessageContaining("maxRequestBodyBytes")
                .hasMessageContaining("mode");
    }

    @Test
    void givenInvalidRoute_whenBuilt_thenEveryProblemNamed() {
        assertThatThrownBy(() -> new Route("r", "v1", URI.create("ftp://x"), "nope"))
                .hasMessageContaining("routes[r].prefix")
                .hasMessageContaining("routes[r].upstream")
                .hasMessageContaining("routes[r].recordedBaseUrl");
    }

    @Test
    void givenOverlappingPrefixes_whenRouting_thenLongestPrefixWins() {
        Route openai = new Route("openai", "/", URI.create("http://a"), "https://api.openai.com/v1");
        Route ollama = new Route("ollama", "/ollama/", URI.create("http://b"), "http://localhost:11434");
        AgentConfig config = AgentConfig.of("127.0.0.1", 0, "agent", List.of(openai, ollama));

        assertThat(config.routeFor("/ollama/api/chat")).isEqualTo(ollama);
        assertThat(config.routeFor("/ollamax")).isEqualTo(openai);
        assertThat(ollama.endpointOf("/ollama/api/chat")).isEqualTo("/api/chat");
        assertThat(openai.endpointOf("/v1/chat/completions")).isEqualTo("/v1/chat/completions");
    }

    @Test
    void givenCustomRedactedHeaders_whenBuilt_thenDefaultsKeptAndCaseFolded() {
        AgentConfig config = new AgentConfig(
                "h",
                1,
                "a",
                List.of(Route.catchAll("http://x", "http://x/v1")),
                1,
                Set.of("X-Custom-Token"),
                Set.of(),
                AgentMode.RECORD);

        assertThat(config.redactedHeaders()).contains("authorization", "x-api-key", "x-custom-token");
    }

    @Test
    void givenRouteSpecs_whenParsed_thenDefaultsFilledAndEveryProblemNamed() {
        Route ollama = Route.parse("name=ollama,upstream=http://localhost:11434/");

        assertThat(ollama.prefix()).isEqualTo("/ollama");
        assertThat(ollama.upstream()).hasToString("http://localhost:11434");
        assertThat(ollama.recordedBaseUrl()).isEqualTo("http://localhost:11434/v1");
        assertThat(Route.parse(
                                "name=azure,prefix=/,upstream=https://x.openai.azure.com,recorded-base-url=https://x.openai.azure.com/openai/v1")
                        .recordedBaseUrl())
                .isEqualTo("https://x.openai.azure.com/openai/v1");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Route.parse("prefix=/x,colour=red,oops"))
                .hasMessageContaining("name is required")
                .hasMessageContaining("upstream is required")
                .hasMessageContaining("unknown key 'colour'")
                .hasMessageContaining("'oops' is not key=value");
    }

    @Test
    void givenDuplicateRouteNames_whenBuilt_thenRefused() {
        assertThatThrownBy(() -> AgentConfig.of(
                        "h",
                        0,
                        "a",
                        List.of(
                                Route.parse("name=a,upstream=http://x"),
                                Route.parse("name=a,prefix=/b,upstream=http://y"))))
                .hasMessageContaining("name a is used twice");
    }

    @Test
    void givenDatabricksBaseUrl_whenRecorded_thenWorkspaceHostHiddenLikeLlamaStack() {
        assertThat(ExchangeRequest.recordedUrl(
                        "https://adb-1234567890123456.7.cloud.databricks.com/serving-endpoints",
                        "/v1/chat/completions"))
                .isEqualTo("__databricks__/serving-endpoints/v1/chat/completions");
        assertThat(ExchangeRequest.recordedUrl("https://api.openai.com/v1", "/v1/models"))
                .isEqualTo("https://api.openai.com/v1/v1/models");
    }

    @Test
    void givenRouteSpecsWithTimeouts_whenParsed_thenEachOverridesTheGlobalDefaultAndBadOnesAreNamed() {
        UpstreamTimeouts global = new UpstreamTimeouts(
                java.time.Duration.ofSeconds(3), java.time.Duration.ofSeconds(60), java.time.Duration.ofSeconds(30));

        Route route = Route.parse("name=slow,upstream=http://x,first-byte-timeout=10m,idle-timeout=PT2M", global, null);

        assertThat(route.timeouts())
                .isEqualTo(new UpstreamTimeouts(
                        java.time.Duration.ofSeconds(3),
                        java.time.Duration.ofMinutes(10),
                        java.time.Duration.ofMinutes(2)));
        assertThat(Route.parse("name=a,upstream=http://x").timeouts()).isEqualTo(UpstreamTimeouts.DEFAULTS);
        assertThatThrownBy(() ->
                        Route.parse("name=a,upstream=http://x,connect-timeout=soon,idle-timeout=0s", global, null))
                .hasMessageContaining("connect-timeout: 'soon' is not a duration")
                .hasMessageContaining("idle-timeout: must be positive");
    }

    @Test
    void givenTheDefaultUpstreamTimeouts_whenCompared_thenBelowTheSdkReadTimeoutAndTheProcessorIdleTimeout() {
        assertThat(UpstreamTimeouts.DEFAULTS.connect()).isEqualTo(java.time.Duration.ofSeconds(10));
        assertThat(UpstreamTimeouts.DEFAULTS.longest()).isLessThan(java.time.Duration.ofSeconds(600));
    }

    @Test
    void givenANegativeShutdownGrace_whenBuilt_thenRefusedByName() {
        AgentConfig config = AgentConfig.of("h", 0, "a", List.of(Route.catchAll("http://x", "http://x/v1")));

        assertThat(config.shutdownGrace()).isEqualTo(java.time.Duration.ofSeconds(30));
        assertThatThrownBy(() -> config.withShutdownGrace(java.time.Duration.ofSeconds(-1)))
                .hasMessageContaining("shutdown-grace: must be zero or positive");
    }
}
