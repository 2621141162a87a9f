package dev.tapeline.app;

import dev.tapeline.agent.AgentConfig;
import dev.tapeline.agent.AgentMode;
import dev.tapeline.agent.Route;
import dev.tapeline.agent.proxy.CaptureProxy;
import dev.tapeline.agent.proxy.ExchangeTap;
import dev.tapeline.agent.replay.FixtureReplay;
import dev.tapeline.agent.replay.ReplayInterceptor;
import dev.tapeline.fixture.EndpointKind;
import dev.tapeline.fixture.FixtureLayout;
import dev.tapeline.fixture.FixtureProfile;
import dev.tapeline.fixture.path.TestIds;
import dev.tapeline.fixture.repo.FixtureFile;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Checks a fixture repository against Tapeline itself: every file is served by a replay-mode
 * agent acting as the upstream, in provider form (the provider's key order, nulls left out,
 * real-looking ids and timestamps), requested as the client's SDK sends it, captured through a
 * record-mode agent and the whole pipeline, and the fixture written is compared with the
 * original. Files are captured in groups, one pipeline per layout: the generation that wrote
 * them, their storage dir and the hash rules that named them.
 */
final class RoundTrip {

    enum Kind {
        IDENTICAL,
        DIFFERENT,
        SKIPPED
    }

    /** What became of one file; {@code detail} is the first difference or the reason for skipping. */
    record Outcome(String path, Kind kind, String detail) {}

    /** All outcomes, in file order. */
    record Report(List<Outcome> outcomes) {

        long count(Kind kind) {
            return outcomes.stream().filter(o -> o.kind() == kind).count();
        }

        void print(PrintStream out, Path fixtures) {
            out.printf(
                    "Round trip of %d files under %s:%n  identical: %d%n  different: %d%n  skipped:   %d%n",
                    outcomes.size(), fixtures, count(Kind.IDENTICAL), count(Kind.DIFFERENT), count(Kind.SKIPPED));
            outcomes.stream()
                    .filter(o -> o.kind() == Kind.DIFFERENT)
                    .forEach(o -> out.printf("different: %s: %s%n", o.path(), o.detail()));
            Map<String, Integer> reasons = new TreeMap<>();
            outcomes.stream()
                    .filter(o -> o.kind() == Kind.SKIPPED)
                    .forEach(o -> reasons.merge(o.detail(), 1, Integer::sum));
            reasons.forEach((reason, count) -> out.printf("skipped %d: %s%n", count, reason));
        }
    }

    private RoundTrip() {}

    static Report run(Path fixtures, Path workDir, PrintStream progress) throws Exception {
        Path root = fixtures.toAbsolutePath().normalize();
        List<Path> paths;
        try (Stream<Path> files = Files.walk(root)) {
            paths = files.filter(p -> p.toString().endsWith(".json") && Files.isRegularFile(p))
                    .sorted()
                    .toList();
        }
        Map<Path, Outcome> outcomes = new LinkedHashMap<>();
        Map<FixtureLayout, List<FixtureFile>> eligible = new LinkedHashMap<>();
        for (Path path : paths) {
            String relative = root.relativize(path).toString();
            try {
                FixtureFile file = FixtureFile.read(path);
                String reason = skipReason(file, relative);
                if (reason == null) {
                    eligible.computeIfAbsent(layoutOf(file, root), k -> new ArrayList<>())
                            .add(file);
                } else {
                    outcomes.put(path, new Outcome(relative, Kind.SKIPPED, reason));
                }
            } catch (IOException | RuntimeException e) {
                outcomes.put(path, new Outcome(relative, Kind.SKIPPED, "unreadable: " + e.getMessage()));
            }
        }
        int group = 0;
        for (Map.Entry<FixtureLayout, List<FixtureFile>> entry : eligible.entrySet()) {
            progress.printf(
                    "  capturing %d files written as %s%n", entry.getValue().size(), entry.getKey());
            capture(root, entry.getKey(), entry.getValue(), workDir.resolve("group-" + group++), outcomes, progress);
        }
        List<Outcome> ordered = new ArrayList<>();
        paths.forEach(p -> ordered.add(outcomes.get(p)));
        return new Report(ordered);
    }

    private static String skipReason(FixtureFile file, String relative) {
        if (file.notOnTheWire() != null) {
            return file.notOnTheWire();
        }
        if (!file.isPassthrough() && file.kind() == EndpointKind.OTHER) {
            return "endpoint " + file.endpoint() + " has no fixture shape yet";
        }
        if (!file.idsMatchName()) {
            return "its normalized ids (rec-...) were made from another hash than its name (renamed after recording)";
        }
        if (file.testId() != null) {
            String where = TestIds.recordingsDir(file.testId());
            if (!relative.startsWith(where)
                    || relative.substring(where.length()).contains("/")) {
                return "not where its test id places it (" + where + "), so a capture is written elsewhere";
            }
        }
        if (!file.isHashConsistent(file.profile())) {
            return "its name is not the hash of its request under any known generation of the rules, so replay cannot"
                    + " find it";
        }
        if (file.serverVersion() != null) {
            return "recorded against a vLLM server whose /version a replay upstream cannot report";
        }
        if (file.kind().isModelList() && siblingModelLists(file) > 1) {
            return "one of several model lists of the same request: replay serves them merged, as llama-stack does";
        }
        return null;
    }

    /** The layout that writes the file where it lies: its generation, storage dir and hash rules. */
    private static FixtureLayout layoutOf(FixtureFile file, Path root) {
        FixtureProfile profile = file.profile();
        String storage = profile.testScoped() && file.testId() != null ? "" : file.storageDir(root);
        return new FixtureLayout(profile, storage, file.hashRules(profile));
    }

    private static long siblingModelLists(FixtureFile file) {
        try (Stream<Path> siblings = Files.list(file.path().getParent())) {
            return siblings.filter(p -> p.getFileName().toString().startsWith("models-" + file.nameHash() + "-"))
                    .count();
        } catch (IOException e) {
            return 1;
        }
    }

    private static void capture(
            Path root,
            FixtureLayout layout,
            List<FixtureFile> files,
            Path workDir,
            Map<Path, Outcome> outcomes,
            PrintStream progress)
            throws Exception {
        List<String> bases =
                files.stream().map(FixtureFile::recordedBaseUrl).distinct().toList();
        List<Route> replayRoutes = new ArrayList<>();
        for (int i = 0; i < bases.size(); i++) {
            replayRoutes.add(new Route("r" + i, "/r" + i, URI.create("http://127.0.0.1:9"), bases.get(i)));
        }
        SimpleMeterRegistry metrics = new SimpleMeterRegistry();
        CaptureProxy upstream = new CaptureProxy(
                AgentConfig.of("127.0.0.1", 0, "roundtrip-upstream", replayRoutes, AgentMode.REPLAY),
                ExchangeTap.NONE,
                new ReplayInterceptor(
                        new FixtureReplay(root, layout, RoundTrip::providerLike), AgentMode.REPLAY, metrics),
                metrics);
        int upstreamPort = upstream.start().await(30, TimeUnit.SECONDS);
        List<Route> recordRoutes = new ArrayList<>();
        for (int i = 0; i < bases.size(); i++) {
            recordRoutes.add(new Route(
                    "r" + i, "/r" + i, URI.create("http://127.0.0.1:" + upstreamPort + "/r" + i), bases.get(i)));
        }
        Path out = workDir.resolve("fixtures");
        Map<Path, Boolean> written = new ConcurrentHashMap<>();
        try (Stack stack = Stack.start(
                Stack.Settings.allInOne(workDir.resolve("data"), recordRoutes, out, layout, AgentMode.RECORD),
                w -> written.put(w.path(), true))) {
            HttpClient http =
                    HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            int sent = 0;
            for (FixtureFile file : files) {
                http.send(
                        request(stack.agentPort(), bases.indexOf(file.recordedBaseUrl()), file),
                        HttpResponse.BodyHandlers.discarding());
                if (++sent % 100 == 0) {
                    progress.printf("  sent %d of %d%n", sent, files.size());
                }
            }
            long expected = files.stream()
                    .map(f -> out.resolve(root.relativize(f.path()).toString()))
                    .distinct()
                    .count();
            long deadline = System.nanoTime()
                    + Duration.ofSeconds(60 + files.size() / 10).toNanos();
            while (written.size() < expected && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
        } finally {
            upstream.close();
        }
        for (FixtureFile file : files) {
            String relative = root.relativize(file.path()).toString();
            outcomes.put(file.path(), compare(relative, Files.readAllBytes(file.path()), out.resolve(relative)));
        }
    }

    /**
     * Provider-like values for llama-stack's normalized {@code id} ({@code rec-…}), {@code created}
     * (0), and Ollama's {@code created_at} (the epoch) and durations (0): made up, the same for a
     * file at every run, never what normalization writes.
     */
    static com.fasterxml.jackson.databind.JsonNode providerLike(
            FixtureFile file, com.fasterxml.jackson.databind.JsonNode data) {
        if (!data.isObject() || "model".equals(data.path("object").asText())) {
            return data;
        }
        com.fasterxml.jackson.databind.node.ObjectNode copy =
                ((com.fasterxml.jackson.databind.node.ObjectNode) data).deepCopy();
        if (copy.path("id").asText().startsWith("rec-")) {
            copy.put(
                    "id",
                    "chatcmpl-"
                            + dev.tapeline.fixture.RequestHasher.sha256Hex(
                                            file.path().toString())
                                    .substring(0, 29));
        }
        if (copy.has("created") && copy.get("created").asLong(-1) == 0) {
            copy.put("created", 1_718_000_000L);
        }
        if (copy.path("created_at").asText().equals("1970-01-01T00:00:00.000000Z")) {
            if ("response".equals(copy.path("object").asText())) {
                copy.put("created_at", 1_718_000_000L); // a Responses API answer's: seconds
            } else {
                copy.put("created_at", "2025-08-15T20:24:49.18651486Z");
            }
        }
        for (String field : new String[] {"total_duration", "load_duration", "prompt_eval_duration", "eval_duration"}) {
            if (copy.path(field).isIntegralNumber() && copy.get(field).asLong() == 0) {
                copy.put(field, 183_650_123L);
            }
        }
        return copy;
    }

    private static HttpRequest request(int agentPort, int route, FixtureFile file) {
        String query = file.wireQuery();
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agentPort + "/r" + route
                        + file.wireEndpoint() + (query == null ? "" : "?" + query)))
                .timeout(Duration.ofSeconds(60));
        if (file.testId() != null) {
            request.header("X-LlamaStack-Provider-Data", TestIds.providerDataHeader(file.testId()));
        }
        if (file.clientSdkVersion() != null) {
            request.header("X-Stainless-Lang", "python").header("X-Stainless-Package-Version", file.clientSdkVersion());
        }
        if (file.wireMethod().equals("GET")) {
            return request.GET().build();
        }
        return request.header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(file.wireRequestBody()))
                .build();
    }

    static Outcome compare(String relative, byte[] original, Path written) throws IOException {
        if (!Files.exists(written)) {
            return new Outcome(relative, Kind.DIFFERENT, "no fixture was written");
        }
        byte[] actual = Files.readAllBytes(written);
        if (Arrays.equals(original, actual)) {
            return new Outcome(relative, Kind.IDENTICAL, "");
        }
        String[] expected = new String(original, StandardCharsets.UTF_8).split("\n", -1);
        String[] got = new String(actual, StandardCharsets.UTF_8).split("\n", -1);
        int line = 0;
        while (line < expected.length && line < got.length && expected[line].equals(got[line])) {
            line++;
        }
        return new Outcome(
                relative,
                Kind.DIFFERENT,
                "line " + (line + 1) + ": expected "
                        + (line < expected.length ? "`" + expected[line].strip() + "`" : "end of file") + ", got "
                        + (line < got.length ? "`" + got[line].strip() + "`" : "end of file"));
    }
}
