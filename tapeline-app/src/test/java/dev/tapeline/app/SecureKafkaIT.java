package dev.tapeline.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tapeline.agent.AgentMode;
import dev.tapeline.agent.Route;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole pipeline against a broker that only speaks SASL_PLAINTEXT: every client takes the settings. */
class SecureKafkaIT {

    @TempDir
    Path dir;

    @org.junit.jupiter.api.extension.RegisterExtension
    static final InJvmKafka kafka =
            InJvmKafka.withSaslUsers(Map.of("admin", "admin-secret", "tapeline", "tapeline-secret"));

    @Test
    void givenASaslOnlyBroker_whenTheSettingsArePassedThrough_thenEveryComponentConnectsAndTheFixtureIsWritten()
            throws Exception {
        Map<String, String> clientConfig = new java.util.HashMap<>();
        EmbeddedKafka.saslClientConfig("tapeline", "tapeline-secret")
                .forEach((k, v) -> clientConfig.put(k, v.toString()));
        Map<Path, Boolean> written = new ConcurrentHashMap<>();
        try (SimulatedUpstream upstream = SimulatedUpstream.start(0);
                Stack stack = Stack.start(
                        Stack.Settings.allInOne(
                                        dir.resolve("data"),
                                        List.of(new Route(
                                                "sim", "/", URI.create(upstream.url()), "http://localhost:8000/v1")),
                                        dir.resolve("fixtures"),
                                        AgentMode.RECORD)
                                .withKafka(kafka.bootstrapServers(), null)
                                .withSecurity(Stack.Secrets.NONE, clientConfig),
                        w -> written.put(w.path(), true))) {
            HttpResponse<String> response = HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .build()
                    .send(
                            HttpRequest.newBuilder(URI.create(
                                            "http://127.0.0.1:" + stack.agentPort() + "/v1/chat/completions"))
                                    .header("X-Test-Id", "tests/integration/security/test_sasl.py::test_stream")
                                    .POST(HttpRequest.BodyPublishers.ofString(
                                            "{\"model\":\"sim-1\",\"messages\":[{\"role\":"
                                                    + "\"user\",\"content\":\"over SASL\"}],\"stream\":true}"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(60)).until(() -> written.size() == 1);
        }
    }
}
