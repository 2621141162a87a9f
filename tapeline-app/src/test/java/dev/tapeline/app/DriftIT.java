package dev.tapeline.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tapeline.agent.AgentMode;
import dev.tapeline.agent.Route;
import dev.tapeline.fixture.path.TestIds;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Provider drift: the recorded requests of a fixture repository sent again to the upstream, once
 * as it was (nothing to report: normalized ids and times are no drift) and once after it changed
 * (a field added, a type changed, a newer model): each fixture's report names exactly that, the
 * new answers are written apart, and the fixtures are left as they were.
 */
class DriftIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TEST = "tests/integration/inference/test_drift.py::";

    @TempDir
    Path dir;

    private static void call(HttpClient http, TestStack stack, String test, String body) throws Exception {
        HttpResponse<String> answer = http.send(
                HttpRequest.newBuilder(URI.create(stack.agentUrl() + "/v1/chat/completions"))
                        .header("content-type", "application/json")
                        .header("X-LlamaStack-Provider-Data", TestIds.providerDataHeader(TEST + test))
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).isEqualTo(200);
    }

    private Map<String, byte[]> snapshot(Path root) throws Exception {
        Map<String, byte[]> files = new LinkedHashMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path file : walk.filter(Files::isRegularFile).sorted().toList()) {
                files.put(root.relativize(file).toString(), Files.readAllBytes(file));
            }
        }
        return files;
    }

    /** {@code tapeline drift} of the fixtures against {@code upstream}, the new answers into {@code out}. */
    private Cli.Result drift(ProviderUpstream upstream, String out, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of(
                "drift",
                dir.resolve("fixtures").toString(),
                "--upstream",
                upstream.url(),
                "--out",
                dir.resolve(out).toString(),
                "--header",
                "Authorization: Bearer sk-drift-it"));
        args.addAll(List.of(more));
        return Cli.run(args.toArray(String[]::new));
    }

    /** Its JSON report, by fixture. */
    private Map<String, JsonNode> driftReport(ProviderUpstream upstream, String out, int expectedExit)
            throws Exception {
        Cli.Result result = drift(upstream, out, "--json");
        assertThat(result.exitCode()).as(result.err() + result.out()).isEqualTo(expectedExit);
        Map<String, JsonNode> byFixture = new LinkedHashMap<>();
        JSON.readTree(result.out())
                .path("fixtures")
                .forEach(f -> byFixture.put(f.path("fixture").asText(), f));
        return byFixture;
    }

    @Test
    void givenAnUpstreamThatAddedAFieldAndChangedAType_whenDrift_thenBothReportedPerFixtureAndFixturesUntouched()
            throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        try (ProviderUpstream before = ProviderUpstream.start()) {
            List<Route> routes =
                    List.of(new Route("openai", "/", URI.create(before.url()), "https://api.openai.com/v1"));
            try (TestStack record = new TestStack(dir, routes, AgentMode.RECORD)) {
                call(
                        http,
                        record,
                        "test_plain",
                        "{\"model\":\"gpt-4.1-mini\",\"messages\":[{\"role\":\"user\"," + "\"content\":\"Hi\"}]}");
                call(
                        http,
                        record,
                        "test_stream",
                        "{\"model\":\"gpt-4.1-mini\",\"messages\":[{\"role\":\"user\","
                                + "\"content\":\"Hi\"}],\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
                record.awaitFixtures(2);
            }
            Map<String, byte[]> fixtures = snapshot(dir.resolve("fixtures"));
            assertThat(fixtures).hasSize(2);

            Map<String, JsonNode> same = driftReport(before, "drift-same", 0);
            assertThat(same.values())
                    .as("the same answers again: normalized ids and times are no drift")
                    .extracting(f -> f.path("status").asText())
                    .containsExactly("unchanged", "unchanged");

            try (ProviderUpstream after = ProviderUpstream.start(true)) {
                Map<String, JsonNode> report = driftReport(after, "drift-changed", 1);
                assertThat(report.keySet()).containsExactlyInAnyOrderElementsOf(fixtures.keySet());
                for (JsonNode fixture : report.values()) {
                    String name = fixture.path("fixture").asText();
                    assertThat(fixture.path("status").asText()).as(name).isEqualTo("drifted");
                    assertThat(fixture.path("added").toString()).as(name).isEqualTo("[\"moderation\"]");
                    assertThat(fixture.path("removed").toString()).as(name).isEqualTo("[]");
                    assertThat(fixture.path("typeChanged").toString())
                            .as(name)
                            .isEqualTo("{\"usage.total_tokens\":\"number → string\"}");
                    assertThat(fixture.path("changed").path("model").asText())
                            .as(name)
                            .isEqualTo("gpt-4.1-mini-2025-04-14 → gpt-4.1-mini-2025-04-14-v2");
                    assertThat(fixture.path("contentChanged").asBoolean())
                            .as(name)
                            .isFalse();
                    assertThat(dir.resolve("drift-changed").resolve(name))
                            .as("the new answer, written apart")
                            .exists();
                }
                Cli.Result markdown = drift(after, "drift-markdown", "--only", "**/recordings/*.json", "--limit", "1");
                assertThat(markdown.out())
                        .contains("1 fixtures: 1 drifted, 0 unchanged, 0 failed")
                        .contains("| fixture | status | added | removed | type changed | values changed | content |")
                        .contains("| drifted | moderation |  | usage.total_tokens: number → string | model:"
                                + " gpt-4.1-mini-2025-04-14 → gpt-4.1-mini-2025-04-14-v2 |  |");
            }
            assertThat(snapshot(dir.resolve("fixtures")))
                    .as("the fixtures, byte for byte as they were")
                    .containsOnlyKeys(fixtures.keySet())
                    .allSatisfy((name, bytes) -> assertThat(bytes).isEqualTo(fixtures.get(name)));
        }
    }
}
