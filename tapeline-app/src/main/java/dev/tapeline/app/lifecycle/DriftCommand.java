package dev.tapeline.app.lifecycle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tapeline.app.Unavailable;
import dev.tapeline.fixture.CapturedExchange;
import dev.tapeline.fixture.FixtureLayout;
import dev.tapeline.fixture.FixtureProfile;
import dev.tapeline.fixture.FixtureRequest;
import dev.tapeline.fixture.HashRules;
import dev.tapeline.fixture.RenderedFixture;
import dev.tapeline.fixture.UnrenderableException;
import dev.tapeline.fixture.python.PyJson;
import dev.tapeline.fixture.repo.FixtureFile;
import dev.tapeline.fixture.shape.FixtureRenderer;
import dev.tapeline.fixture.wire.Chunking;
import dev.tapeline.fixture.wire.Framings;
import dev.tapeline.schema.Framing;
import dev.tapeline.schema.Limits;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Sends recorded requests to the live upstream again and says how its answers changed. */
@Command(
        name = "drift",
        mixinStandardHelpOptions = true,
        description = "Send the recorded requests of the fixtures under FIXTURES to the live upstream again, record the"
                + " answers as fixtures under --out (never over FIXTURES), and report per fixture how the answer"
                + " changed: fields added, removed, type changed; model, system_fingerprint, finish reason changed;"
                + " content changed (counted; shown with --show-content). It calls a paid API: --only, --limit,"
                + " --concurrency and --rate bound it. Exit code 0; 1 when an answer drifted.")
public final class DriftCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Parameters(index = "0", paramLabel = "FIXTURES", description = "The fixture repository root.")
    Path fixtures;

    @Option(
            names = "--upstream",
            required = true,
            description = "The live API the requests go to, as the agent's --upstream (e.g. https://api.openai.com).")
    String upstream;

    @Option(names = "--out", required = true, description = "Where the new answers are written, as fixtures.")
    Path out;

    @Option(
            names = "--header",
            paramLabel = "NAME:VALUE",
            description = "Repeatable: a header every request carries (default: Authorization: Bearer $OPENAI_API_KEY"
                    + " where that is set).")
    List<String> headers = new ArrayList<>();

    @Option(
            names = "--only",
            paramLabel = "GLOB",
            description = "Only fixtures whose path under FIXTURES matches, e.g. 'tests/integration/inference/**'.")
    String only;

    @Option(
            names = "--limit",
            defaultValue = "100",
            description = "At most this many requests (default: ${DEFAULT-VALUE}).")
    int limit;

    @Option(
            names = "--concurrency",
            defaultValue = "2",
            description = "Requests in flight at once (default: ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(
            names = "--rate",
            defaultValue = "2",
            description = "At most this many requests started per second (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--show-content", description = "Show the text of answers whose content changed.")
    boolean showContent;

    @Option(names = "--json", description = "The report as JSON, for tools (default: markdown).")
    boolean json;

    @Spec
    CommandSpec spec;

    /** What became of one fixture: its answer's difference, or why there is none. */
    record Result(String fixture, int statusBefore, int statusAfter, AnswerDiff diff, String problem) {

        String status() {
            if (problem != null) {
                return "failed";
            }
            return statusBefore != statusAfter || diff.drifted() ? "drifted" : "unchanged";
        }
    }

    @Override
    public Integer call() throws Exception {
        if (!Files.isDirectory(fixtures)) {
            throw Unavailable.file("FIXTURES", fixtures, new NoSuchFileException(fixtures.toString()));
        }
        Path root = fixtures.toAbsolutePath().normalize();
        Path target = out.toAbsolutePath().normalize();
        if (target.startsWith(root) || root.startsWith(target)) {
            throw new ParameterException(
                    spec.commandLine(),
                    "--out: " + out + " must be outside FIXTURES (" + fixtures
                            + "): drift never writes over the fixtures");
        }
        if (limit < 1 || concurrency < 1 || !(rate > 0)) {
            throw new ParameterException(spec.commandLine(), "--limit, --concurrency and --rate must be positive");
        }
        Map<String, String> requestHeaders = requestHeaders();
        List<FixtureFile> selected = select(root);
        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .build();
        RateLimit pace = new RateLimit(rate);
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        List<Result> results = new ArrayList<>();
        try {
            List<Future<Result>> running = new ArrayList<>();
            for (FixtureFile file : selected) {
                running.add(pool.submit(() -> {
                    pace.await();
                    return drift(http, root, target, file, requestHeaders);
                }));
            }
            for (Future<Result> result : running) {
                results.add(result.get());
            }
        } finally {
            pool.shutdownNow();
        }
        PrintWriter printed = spec.commandLine().getOut();
        if (json) {
            printed.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toJson(results)));
        } else {
            printMarkdown(printed, results);
        }
        printed.flush();
        return results.stream().anyMatch(r -> r.status().equals("drifted")) ? 1 : 0;
    }

    private Map<String, String> requestHeaders() {
        Map<String, String> all = new LinkedHashMap<>();
        String key = System.getenv("OPENAI_API_KEY");
        if (headers.isEmpty() && key != null && !key.isBlank()) {
            all.put("Authorization", "Bearer " + key);
        }
        for (String header : headers) {
            int colon = header.indexOf(':');
            if (colon <= 0) {
                throw new ParameterException(spec.commandLine(), "--header: '" + header + "' is not NAME:VALUE");
            }
            all.put(
                    header.substring(0, colon).trim(),
                    header.substring(colon + 1).trim());
        }
        return all;
    }

    /** The fixtures whose request can be sent again, in path order, up to {@code --limit}. */
    private List<FixtureFile> select(Path root) throws IOException {
        PathMatcher matcher = only == null ? null : FileSystems.getDefault().getPathMatcher("glob:" + only);
        List<FixtureFile> selected = new ArrayList<>();
        for (String relative : Coverage.fixtures(root)) {
            if (selected.size() >= limit) {
                break;
            }
            if (matcher != null && !matcher.matches(Path.of(relative))) {
                continue;
            }
            FixtureFile file;
            try {
                file = FixtureFile.read(root.resolve(relative));
            } catch (PyJson.InvalidJsonException e) {
                continue; // not a fixture: nothing to send
            }
            if (file.notOnTheWire() == null) {
                selected.add(file);
            }
        }
        return selected;
    }

    private Result drift(HttpClient http, Path root, Path target, FixtureFile file, Map<String, String> requestHeaders)
            throws IOException, InterruptedException {
        String relative = root.relativize(file.path()).toString().replace('\\', '/');
        String query = file.wireQuery();
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(
                        upstream.replaceAll("/+$", "") + file.wireEndpoint() + (query == null ? "" : "?" + query)))
                .timeout(Duration.ofMinutes(5));
        requestHeaders.forEach(request::header);
        byte[] body = file.wireMethod().equals("GET") ? new byte[0] : file.wireRequestBody();
        if (body.length > 0) {
            request.header("Content-Type", "application/json")
                    .method(file.wireMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
        } else {
            request.method(file.wireMethod(), HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<byte[]> answer;
        try {
            answer = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            return new Result(relative, file.wireStatus(), 0, null, "upstream not reached: " + e);
        }
        CapturedExchange exchange = exchange(file, body, answer);
        RenderedFixture rendered;
        try {
            rendered = new FixtureRenderer(layoutOf(root, file)).render(exchange);
        } catch (UnrenderableException e) {
            return new Result(
                    relative, file.wireStatus(), answer.statusCode(), null, "answer not recordable: " + e.getMessage());
        }
        Path written = target.resolve(relative);
        Files.createDirectories(written.getParent());
        Files.write(written, rendered.content());
        FixtureFile now = FixtureFile.read(written);
        return new Result(
                relative, file.wireStatus(), now.wireStatus(), AnswerDiff.of(answer(file), answer(now)), null);
    }

    /** The exchange as the agent would have captured it: the recorded request, the answer cut into events. */
    private static CapturedExchange exchange(FixtureFile file, byte[] body, HttpResponse<byte[]> answer) {
        String contentType = answer.headers().firstValue("content-type").orElse("");
        Framing framing = Framings.ofContentType(contentType);
        List<byte[]> chunks = new ArrayList<>();
        List<String> names = new ArrayList<>();
        Chunking.split(framing, answer.body(), Limits.MAX_RECORD_BYTES, (name, data) -> {
            chunks.add(data);
            names.add(name);
        });
        return new CapturedExchange(
                new FixtureRequest(
                        file.wireMethod(),
                        file.recordedBaseUrl() + file.wireEndpoint(),
                        file.wireEndpoint(),
                        body,
                        file.testId(),
                        file.wireQuery()),
                file.clientSdkVersion(),
                file.serverVersion(),
                answer.statusCode(),
                framing != Framing.BODY,
                chunks,
                names,
                List.of());
    }

    /** The layout that wrote the file: its generation, storage dir and the hash rules that named it. */
    private static FixtureLayout layoutOf(Path root, FixtureFile file) {
        FixtureProfile profile = file.profile();
        HashRules rules = file.hashRules(profile);
        return new FixtureLayout(profile, file.storageDir(root), rules == null ? HashRules.CURRENT : rules, false);
    }

    /** A fixture's answer as documents: each model dump, a passthrough's JSON or events, a recorded error. */
    private static List<JsonNode> answer(FixtureFile file) {
        JsonNode response = file.root().path("response");
        JsonNode body = response.path("body");
        List<JsonNode> documents = new ArrayList<>();
        if (file.isException() && (body.isNull() || body.isMissingNode())) {
            documents.add(response.path("exception_data"));
            return documents;
        }
        for (JsonNode item : body.isArray() ? body : List.of(body)) {
            if (item.has("__data__")) {
                documents.add(item.get("__data__"));
            } else if (item.isTextual() && item.textValue().startsWith("data: ")) {
                try {
                    documents.add(PyJson.parse(item.textValue().substring("data: ".length())));
                } catch (PyJson.InvalidJsonException e) {
                    // an event whose data is not JSON ([DONE]): no fields
                }
            } else if (!item.isTextual()) {
                documents.add(item);
            }
        }
        return documents;
    }

    private ObjectNode toJson(List<Result> results) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode fixtures = root.putArray("fixtures");
        for (Result result : results) {
            ObjectNode node = fixtures.addObject()
                    .put("fixture", result.fixture())
                    .put("status", result.status())
                    .put("httpStatusBefore", result.statusBefore())
                    .put("httpStatusAfter", result.statusAfter())
                    .put("problem", result.problem());
            AnswerDiff diff = result.diff();
            if (diff != null) {
                node.putPOJO("added", diff.added());
                node.putPOJO("removed", diff.removed());
                node.putPOJO("typeChanged", diff.typeChanged());
                node.putPOJO("changed", diff.changed());
                node.put("contentChanged", diff.contentChanged());
                if (showContent && diff.contentChanged()) {
                    node.put("contentBefore", diff.contentBefore()).put("contentAfter", diff.contentAfter());
                }
            }
        }
        root.put(
                "drifted",
                results.stream().filter(r -> r.status().equals("drifted")).count());
        root.put(
                "unchanged",
                results.stream().filter(r -> r.status().equals("unchanged")).count());
        root.put(
                "failed",
                results.stream().filter(r -> r.status().equals("failed")).count());
        return root;
    }

    private void printMarkdown(PrintWriter printed, List<Result> results) {
        printed.printf(
                "# Drift against %s%n%n%d fixtures: %d drifted, %d unchanged, %d failed; new answers in %s%n%n",
                upstream,
                results.size(),
                results.stream().filter(r -> r.status().equals("drifted")).count(),
                results.stream().filter(r -> r.status().equals("unchanged")).count(),
                results.stream().filter(r -> r.status().equals("failed")).count(),
                out);
        printed.println("| fixture | status | added | removed | type changed | values changed | content |");
        printed.println("|---|---|---|---|---|---|---|");
        for (Result result : results) {
            AnswerDiff diff = result.diff();
            if (diff == null) {
                printed.printf("| `%s` | failed: %s | | | | | |%n", result.fixture(), result.problem());
                continue;
            }
            printed.printf(
                    "| `%s` | %s%s | %s | %s | %s | %s | %s |%n",
                    result.fixture(),
                    result.status(),
                    result.statusBefore() == result.statusAfter()
                            ? ""
                            : " (HTTP " + result.statusBefore() + " → " + result.statusAfter() + ")",
                    String.join(", ", diff.added()),
                    String.join(", ", diff.removed()),
                    joined(diff.typeChanged()),
                    joined(diff.changed()),
                    diff.contentChanged() ? "changed" : "");
        }
        if (showContent) {
            for (Result result : results) {
                if (result.diff() != null && result.diff().contentChanged()) {
                    printed.printf(
                            "%n## `%s`%n%nbefore:%n%n    %s%n%nafter:%n%n    %s%n",
                            result.fixture(),
                            result.diff().contentBefore().replace("\n", "\n    "),
                            result.diff().contentAfter().replace("\n", "\n    "));
                }
            }
        }
    }

    private static String joined(Map<String, String> changes) {
        List<String> parts = new ArrayList<>();
        changes.forEach((field, change) -> parts.add(field + ": " + change));
        return String.join("; ", parts);
    }

    /** At most {@code perSecond} starts a second, across threads. */
    private static final class RateLimit {
        private final long intervalNanos;
        private long next = System.nanoTime();

        RateLimit(double perSecond) {
            this.intervalNanos = (long) (1_000_000_000L / perSecond);
        }

        void await() throws InterruptedException {
            long wait;
            synchronized (this) {
                long now = System.nanoTime();
                long start = Math.max(now, next);
                next = start + intervalNanos;
                wait = start - now;
            }
            if (wait > 0) {
                java.util.concurrent.TimeUnit.NANOSECONDS.sleep(wait);
            }
        }
    }
}
