package dev.tapeline.agent.replay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapeline.agent.Route;
import dev.tapeline.agent.proxy.ExchangeRequest;
import dev.tapeline.fixture.CapturedExchange;
import dev.tapeline.fixture.FixtureProfile;
import dev.tapeline.fixture.FixtureRequest;
import dev.tapeline.fixture.RenderedFixture;
import dev.tapeline.fixture.python.PyJson;
import dev.tapeline.fixture.shape.FixtureRenderer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FixtureReplayTest {

    private static final Route ROUTE = new Route("r", "/", URI.create("http://upstream"), "http://localhost:8000/v1");
    private static final String TEST_ID = "tests/integration/inference/test_a.py::test_b[x]";
    private static final String BODY =
            "{\"model\":\"m-1\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true}";

    @TempDir
    Path root;

    private static ExchangeRequest request(String method, String endpoint, String body, String testId) {
        return new ExchangeRequest(
                "c",
                ROUTE,
                method,
                endpoint,
                endpoint,
                "http://upstream" + endpoint,
                List.of(),
                body.getBytes(StandardCharsets.UTF_8),
                testId,
                null,
                0,
                null);
    }

    private void store(CapturedExchange exchange) throws Exception {
        RenderedFixture fixture = new FixtureRenderer(FixtureProfile.CURRENT).render(exchange);
        Path file = root.resolve(fixture.relativePath());
        Files.createDirectories(file.getParent());
        Files.write(file, fixture.content());
    }

    private static List<byte[]> bytes(String... chunks) {
        return java.util.Arrays.stream(chunks)
                .map(c -> c.getBytes(StandardCharsets.UTF_8))
                .toList();
    }

    @Test
    void givenStoredStream_whenSameRequestLookedUp_thenHitWithNormalizedChunksInWireForm() throws Exception {
        store(CapturedExchange.of(
                new FixtureRequest(
                        "POST",
                        "http://localhost:8000/v1/v1/chat/completions",
                        "/v1/chat/completions",
                        BODY.getBytes(StandardCharsets.UTF_8),
                        TEST_ID,
                        null),
                null,
                200,
                true,
                bytes("{\"id\":\"chatcmpl-9\",\"created\":5,\"choices\":[]}", "[DONE]")));

        FixtureReplay.Lookup lookup = new FixtureReplay(root, dev.tapeline.fixture.FixtureLayout.current())
                .find(request("POST", "/v1/chat/completions", BODY, TEST_ID));

        assertThat(lookup).isInstanceOf(FixtureReplay.Hit.class);
        FixtureReplay.Hit hit = (FixtureReplay.Hit) lookup;
        assertThat(hit.streaming()).isTrue();
        assertThat(hit.chunks()).hasSize(1);
        com.fasterxml.jackson.databind.JsonNode chunk =
                PyJson.parse(hit.chunks().get(0));
        assertThat(chunk.path("id").asText())
                .isEqualTo("rec-" + hit.requestHash().substring(0, 12));
        assertThat(chunk.path("created").asLong()).isZero();
        assertThat(chunk.has("system_fingerprint"))
                .as("the SDK's declared fields, filled")
                .isTrue();
    }

    @Test
    void givenFixtureOnlyInSharedDir_whenLookedUpWithTestId_thenFoundThereLikeLlamaStack() throws Exception {
        // recorded without a test id (session setup); llama-stack falls back to the shared recordings dir
        store(CapturedExchange.of(
                new FixtureRequest(
                        "POST",
                        "http://localhost:8000/v1/v1/chat/completions",
                        "/v1/chat/completions",
                        BODY.getBytes(StandardCharsets.UTF_8),
                        null,
                        null),
                null,
                200,
                false,
                bytes("{\"id\":\"x\"}")));
        FixtureReplay replay = new FixtureReplay(root, dev.tapeline.fixture.FixtureLayout.current());

        assertThat(replay.find(request("POST", "/v1/chat/completions", BODY, null)))
                .isInstanceOf(FixtureReplay.Hit.class);
        assertThat(replay.find(request("POST", "/v1/chat/completions", BODY, TEST_ID)))
                .isInstanceOf(FixtureReplay.Miss.class);
    }

    @Test
    void givenTwoModelListsOfOneHash_whenListed_thenMergedByIdIntoAnOpenAiList() throws Exception {
        for (String ids : new String[] {"a,b", "b,c"}) {
            StringBuilder data = new StringBuilder();
            for (String id : ids.split(",")) {
                data.append(data.length() == 0 ? "" : ",")
                        .append("{\"id\":\"")
                        .append(id)
                        .append("\",\"object\":\"model\",\"created\":1,\"owned_by\":\"o\"}");
            }
            store(CapturedExchange.of(
                    new FixtureRequest(
                            "GET", "http://localhost:8000/v1/v1/models", "/v1/models", new byte[0], TEST_ID, null),
                    null,
                    200,
                    false,
                    bytes("{\"object\":\"list\",\"data\":[" + data + "]}")));
        }

        FixtureReplay.Hit hit =
                (FixtureReplay.Hit) new FixtureReplay(root, dev.tapeline.fixture.FixtureLayout.current())
                        .find(request("GET", "/v1/models", "", TEST_ID));

        assertThat(PyJson.parse(hit.chunks().get(0)).findValuesAsText("id")).containsExactly("a", "b", "c");
    }

    @Test
    void givenNothingStored_whenLookedUp_thenMissNamesHashTestIdEndpointModelFileAndHowToRecord() {
        FixtureReplay.Lookup lookup = new FixtureReplay(root, dev.tapeline.fixture.FixtureLayout.current())
                .find(request("POST", "/v1/chat/completions", BODY, TEST_ID));

        String message = ((FixtureReplay.Miss) lookup).message();
        String hash = ((FixtureReplay.Miss) lookup).requestHash();
        assertThat(message)
                .contains(
                        hash,
                        TEST_ID,
                        "/v1/chat/completions",
                        "model m-1",
                        root.resolve("tests/integration/inference/recordings/" + hash + ".json")
                                .toString(),
                        "--mode record-if-missing");
    }

    @Test
    void givenARequestChangedInOneField_whenReplayed_thenTheMissNamesTheNearestFixtureAndThatField() throws Exception {
        String recorded = "{\"model\":\"m-1\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                + "{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":0.0}";
        String other = "{\"model\":\"m-1\",\"messages\":[{\"role\":\"user\",\"content\":\"something else\"}],"
                + "\"temperature\":0.5,\"top_p\":0.9}";
        for (String body : List.of(recorded, other)) {
            store(CapturedExchange.of(
                    new FixtureRequest(
                            "POST",
                            "http://localhost:8000/v1/v1/chat/completions",
                            "/v1/chat/completions",
                            body.getBytes(StandardCharsets.UTF_8),
                            TEST_ID,
                            null),
                    null,
                    200,
                    false,
                    bytes("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m-1\","
                            + "\"choices\":[]}")));
        }
        String changed = recorded.replace("\"temperature\":0.0", "\"temperature\":0.7");

        FixtureReplay.Lookup lookup = new FixtureReplay(root, dev.tapeline.fixture.FixtureLayout.current())
                .find(request("POST", "/v1/chat/completions", changed, TEST_ID));

        assertThat(lookup).isInstanceOf(FixtureReplay.Miss.class);
        FixtureReplay.Miss miss = (FixtureReplay.Miss) lookup;
        String recordedHash = dev.tapeline.fixture.shape.FixtureKeys.requestHash(
                new FixtureRequest(
                        "POST",
                        "http://localhost:8000/v1/v1/chat/completions",
                        "/v1/chat/completions",
                        recorded.getBytes(StandardCharsets.UTF_8),
                        TEST_ID,
                        null),
                FixtureProfile.CURRENT,
                dev.tapeline.fixture.HashRules.CURRENT);
        assertThat(miss.nearest().file().getFileName()).hasToString(recordedHash + ".json");
        assertThat(miss.nearest().why()).isEqualTo("same test id");
        assertThat(miss.nearest().differences()).extracting(Object::toString).containsExactly("temperature: 0.7 ≠ 0.0");
        assertThat(miss.message())
                .contains("nearest recording " + miss.nearest().file()
                        + " (same test id): differs in temperature: 0.7 ≠ 0.0");
    }

    @Test
    void givenNoRecordingOfTheEndpoint_whenAMissIsDiagnosed_thenItSaysSo() {
        FixtureReplay.Lookup lookup = new FixtureReplay(root, dev.tapeline.fixture.FixtureLayout.current())
                .find(request("POST", "/v1/embeddings", "{\"model\":\"e\",\"input\":\"x\"}", TEST_ID));

        assertThat(((FixtureReplay.Miss) lookup).message()).contains("no recording of /v1/embeddings to compare with");
    }
}
