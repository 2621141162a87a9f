package dev.tapeline.agent.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tapeline.agent.Route;
import dev.tapeline.agent.UpstreamTimeouts;
import org.junit.jupiter.api.Test;

class RecordedSdkVersionTest {

    private static final Route CLIENTS = Route.catchAll("http://upstream", "http://localhost:8000/v1");

    @Test
    void givenNoVersionConfigured_whenClientsCall_thenOnlyThePythonSdksVersionIsRecorded() {
        assertThat(CaptureProxy.recordedSdkVersion(CLIENTS, "python", "2.5.0")).isEqualTo("2.5.0");
        assertThat(CaptureProxy.recordedSdkVersion(CLIENTS, null, "2.5.0"))
                .as("an older Python SDK without the language header")
                .isEqualTo("2.5.0");
        assertThat(CaptureProxy.recordedSdkVersion(CLIENTS, "js", "6.30.1")).isNull();
        assertThat(CaptureProxy.recordedSdkVersion(CLIENTS, null, null)).isNull();
    }

    @Test
    void givenAVersionOnTheRoute_whenAnyClientCalls_thenTheRoutesVersionIsRecorded() {
        Route route = CLIENTS.withOpenaiSdkVersion("2.30.0");

        assertThat(CaptureProxy.recordedSdkVersion(route, "js", "6.30.1")).isEqualTo("2.30.0");
        assertThat(CaptureProxy.recordedSdkVersion(route, "python", "2.5.0")).isEqualTo("2.30.0");
        assertThat(CaptureProxy.recordedSdkVersion(route, null, null)).isEqualTo("2.30.0");
    }

    @Test
    void givenRouteSpecs_whenParsed_thenTheRouteKeyOverridesTheGlobalVersionAndBadOnesAreNamed() {
        assertThat(Route.parse("name=a,upstream=http://x", UpstreamTimeouts.DEFAULTS, "2.5.0")
                        .openaiSdkVersion())
                .isEqualTo("2.5.0");
        assertThat(Route.parse("name=a,upstream=http://x,openai-sdk-version=2.30.0", UpstreamTimeouts.DEFAULTS, "2.5.0")
                        .openaiSdkVersion())
                .isEqualTo("2.30.0");
        assertThat(Route.parse("name=a,upstream=http://x").openaiSdkVersion()).isNull();
        assertThatThrownBy(() -> Route.parse("name=a,upstream=http://x,openai-sdk-version=two point five"))
                .hasMessageContaining(
                        "routes[a].openai-sdk-version: must be a version like 2.5.0, got 'two point five'");
    }
}
