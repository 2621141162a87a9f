package dev.tapeline.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tapeline.agent.replay.FixtureReplay;
import dev.tapeline.fixture.FixtureRequest;
import dev.tapeline.fixture.python.PyJson;
import dev.tapeline.fixture.repo.FixtureFile;
import dev.tapeline.fixture.repo.RequestDiff;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * A replay miss explained offline: whether a fixture repository holds a request's recording, and
 * if not, the nearest recording and where the request differs from it (as a REPLAY agent's 404 says).
 */
@Command(
        name = "explain",
        mixinStandardHelpOptions = true,
        description = "Say whether FIXTURES holds the recording of REQUEST.json and, if not, which recording is nearest"
                + " and where the request differs from it. Exit code 0: found; 1: not found.")
public final class ExplainCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "FIXTURES", description = "The fixture repository root.")
    Path fixtures;

    @Parameters(
            index = "1",
            paramLabel = "REQUEST.json",
            description = "The request: a fixture file (its request and test id), or {\"url\", \"endpoint\", \"body\","
                    + " \"test_id\", \"method\"} with the body as the client sends it (url: the recorded base URL plus"
                    + " the endpoint, or --recorded-base-url).")
    Path requestFile;

    @Option(
            names = "--recorded-base-url",
            description =
                    "The base URL recordings show, where REQUEST.json has no url (e.g. http://localhost:8000/v1).")
    String recordedBaseUrl;

    @Mixin
    LayoutOptions layoutOptions;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (!Files.isDirectory(fixtures)) {
            throw Unavailable.file("FIXTURES", fixtures, new java.nio.file.NoSuchFileException(fixtures.toString()));
        }
        FixtureRequest request = request();
        FixtureReplay.Lookup lookup = new FixtureReplay(fixtures, layoutOptions.layout(spec)).find(request);
        out.println("request " + request.method() + " " + request.url() + ", test id "
                + (request.testId() == null ? "(none)" : request.testId()));
        if (lookup instanceof FixtureReplay.Hit hit) {
            out.println("recorded: " + hit.file() + " (hash " + hit.requestHash() + ")");
            out.flush();
            return 0;
        }
        FixtureReplay.Miss miss = (FixtureReplay.Miss) lookup;
        out.println("not recorded: hash " + miss.requestHash() + "; looked for " + miss.lookedFor());
        if (miss.nearest() == null) {
            out.println("no recording of " + miss.endpoint() + " to compare with");
        } else {
            out.println("nearest recording: " + miss.nearest().file() + " ("
                    + miss.nearest().why() + ")");
            if (miss.nearest().differences().isEmpty()) {
                out.println("  the same body (recorded under another test id or other hash rules)");
            }
            for (RequestDiff.Difference difference : miss.nearest().differences()) {
                out.println("  " + difference);
            }
        }
        out.flush();
        return 1;
    }

    private FixtureRequest request() throws Exception {
        JsonNode json;
        try {
            json = PyJson.parse(Files.readAllBytes(requestFile));
        } catch (java.io.IOException e) {
            throw Unavailable.file("REQUEST.json", requestFile, e);
        } catch (PyJson.InvalidJsonException e) {
            throw new ParameterException(spec.commandLine(), "REQUEST.json: not JSON: " + e.getMessage(), e);
        }
        if (json.has("request")) {
            FixtureFile file = FixtureFile.read(requestFile);
            return new FixtureRequest(
                    file.wireMethod(),
                    file.url(),
                    file.wireEndpoint(),
                    file.wireRequestBody(),
                    file.testId(),
                    file.wireQuery());
        }
        String endpoint = json.path("endpoint").asText("");
        if (!endpoint.startsWith("/")) {
            throw new ParameterException(
                    spec.commandLine(), "REQUEST.json: endpoint required, e.g. /v1/chat/completions");
        }
        String url = json.hasNonNull("url") ? json.get("url").asText() : null;
        if (url == null && recordedBaseUrl == null) {
            throw new ParameterException(
                    spec.commandLine(),
                    "REQUEST.json has no url: give --recorded-base-url (the base URL recordings show)");
        }
        JsonNode body = json.get("body");
        return new FixtureRequest(
                json.path("method").asText("POST"),
                url != null ? url : recordedBaseUrl.replaceAll("/+$", "") + endpoint,
                endpoint,
                body == null || body.isNull()
                        ? new byte[0]
                        : PyJson.dumpsCompact(body).getBytes(StandardCharsets.UTF_8),
                json.hasNonNull("test_id") ? json.get("test_id").asText() : null,
                null);
    }
}
