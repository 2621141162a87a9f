package dev.tapeline.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * JavaScript clients as a user's code calls them, from {@code src/test/node}: the official OpenAI
 * Node SDK ({@code sdk-client.mjs}) and the clients applications use ({@code clients.mjs}: the
 * Vercel AI SDK, LangChain.js, the Anthropic SDK), pinned in its {@code package.json} and installed
 * by {@code npm ci} there ({@code .ci/run} does). Where Node or the packages are missing the test
 * is skipped, except on CI ({@code TAPELINE_REQUIRE_NODE=1}), where it fails.
 */
final class NodeClient {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final Path directory;

    private NodeClient(Path directory) {
        this.directory = directory;
    }

    /** The client, or the test skipped (failed on CI) with what is missing. */
    static NodeClient require() throws Exception {
        Path client = Path.of(System.getProperty("tapeline.nodeClient", "src/test/node"));
        boolean required = "1".equals(System.getenv("TAPELINE_REQUIRE_NODE"));
        String missing = null;
        if (!Files.isDirectory(client.resolve("node_modules/openai"))) {
            missing = "the OpenAI Node SDK is not installed in " + client.toAbsolutePath() + " (npm ci --prefix "
                    + client + ")";
        } else {
            try {
                Process node = new ProcessBuilder("node", "--version")
                        .redirectErrorStream(true)
                        .start();
                if (!node.waitFor(30, TimeUnit.SECONDS) || node.exitValue() != 0) {
                    missing = "node does not run";
                }
            } catch (java.io.IOException e) {
                missing = "node is not installed: " + e.getMessage();
            }
        }
        if (missing != null && required) {
            throw new AssertionError(missing + "; TAPELINE_REQUIRE_NODE=1 requires it");
        }
        assumeTrue(missing == null, missing + "; Node SDK test skipped");
        return new NodeClient(client);
    }

    /** One SDK call: its id, the SDK's base URL, the endpoint (which SDK method), arguments and headers. */
    static ObjectNode call(String id, String baseUrl, String endpoint, JsonNode args, ObjectNode headers) {
        ObjectNode call =
                NODES.objectNode().put("id", id).put("baseURL", baseUrl).put("endpoint", endpoint);
        call.set("args", args);
        call.set("headers", headers);
        return call;
    }

    /**
     * Makes each call in turn with the SDK; the answers by call id: {@code body} (a page's data),
     * {@code chunks} of a stream, {@code error} (status and body) or {@code failure}.
     */
    Map<String, JsonNode> run(Path workDir, List<ObjectNode> calls) throws Exception {
        return run(workDir, "sdk-client.mjs", calls);
    }

    /** Runs {@code script} on the calls ({@code node script CALLS.json RESULTS.json}); the answers by call id. */
    Map<String, JsonNode> run(Path workDir, String script, List<ObjectNode> calls) throws Exception {
        ArrayNode list = NODES.arrayNode();
        calls.forEach(list::add);
        Path in = Files.createTempFile(workDir, "calls", ".json");
        Path out = Files.createTempFile(workDir, "answers", ".json");
        Files.writeString(in, JSON.writeValueAsString(NODES.objectNode().set("calls", list)));
        Process node = new ProcessBuilder(
                        "node",
                        script,
                        in.toAbsolutePath().toString(),
                        out.toAbsolutePath().toString())
                .directory(directory.toFile())
                .redirectErrorStream(true)
                .start();
        String output = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(node.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(node.exitValue()).as("node %s: %s", script, output).isZero();
        Map<String, JsonNode> answers = new LinkedHashMap<>();
        for (JsonNode answer : JSON.readTree(Files.readString(out))) {
            answers.put(answer.path("id").asText(), answer);
        }
        assertThat(answers).hasSize(calls.size());
        return answers;
    }

    /**
     * An answer compared as the application sees it: numbers by value (JavaScript writes {@code 0}
     * where Python wrote {@code 0.0}), nulls as absent members (the Python SDK's dump adds them).
     */
    static JsonNode canonical(JsonNode node) {
        if (node == null) {
            return NODES.nullNode();
        }
        if (node.isNumber()) {
            return NODES.numberNode(new BigDecimal(node.asText()).stripTrailingZeros());
        }
        if (node.isObject()) {
            ObjectNode copy = NODES.objectNode();
            Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                if (!field.getValue().isNull()) {
                    copy.set(field.getKey(), canonical(field.getValue()));
                }
            }
            return copy;
        }
        if (node.isArray()) {
            ArrayNode copy = NODES.arrayNode();
            node.forEach(item -> copy.add(canonical(item)));
            return copy;
        }
        return node;
    }
}
