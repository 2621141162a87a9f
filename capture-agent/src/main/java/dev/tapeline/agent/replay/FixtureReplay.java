package dev.tapeline.agent.replay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tapeline.agent.proxy.ExchangeRequest;
import dev.tapeline.fixture.EndpointKind;
import dev.tapeline.fixture.FixtureLayout;
import dev.tapeline.fixture.FixtureProfile;
import dev.tapeline.fixture.FixtureRequest;
import dev.tapeline.fixture.HashRules;
import dev.tapeline.fixture.path.FixtureRepository;
import dev.tapeline.fixture.python.PyJson;
import dev.tapeline.fixture.repo.ChunkTiming;
import dev.tapeline.fixture.repo.FixtureFile;
import dev.tapeline.fixture.repo.FixtureIndex;
import dev.tapeline.fixture.repo.RequestDiff;
import dev.tapeline.fixture.shape.FixtureKeys;
import dev.tapeline.fixture.shape.RecordedRequests;
import dev.tapeline.fixture.wire.WireForm;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Finds the fixture for a request in a fixture repository, as llama-stack's replay does: by the
 * request hash, in the test's recordings directory first, then in the shared one; model lists
 * ({@code models-<hash>-*.json}) from every file of that hash, merged. A repository written by
 * several llama-stack versions replays whole: a miss under today's hash rules is looked up again
 * under the earlier ones ({@link HashRules}).
 */
public final class FixtureReplay {

    /** The outcome of a look-up. */
    public sealed interface Lookup permits Hit, Miss {}

    /**
     * What to send back: the stored response in wire form, with the upstream's headers where the
     * recording keeps them (genai's {@code sdk_http_response}), else none; {@code asProvider}:
     * exactly as the provider sent it, for a round trip; {@code offsetsNanos}: when each chunk is
     * due after the request (recorded chunk timing), or empty to send at once; {@code interrupted}:
     * the recorded call broke off, so the answer does too (the connection is reset after the chunks).
     */
    /** @param files the fixture files that answered: one, or every model list merged into the answer */
    public record Hit(
            String requestHash,
            List<Path> files,
            int status,
            WireForm form,
            List<byte[]> chunks,
            List<Map.Entry<String, String>> headers,
            boolean asProvider,
            List<Long> offsetsNanos,
            boolean interrupted)
            implements Lookup {

        public Hit {
            files = List.copyOf(files);
        }

        /** The file that answered (the first of those merged). */
        public Path file() {
            return files.get(0);
        }

        public boolean streaming() {
            return form.streaming();
        }
    }

    /**
     * Nothing stored for the request; {@link #message()} says what was looked for, what the nearest
     * recording is and where the request differs from it, and how to record it.
     *
     * @param nearest the recording nearest the request, or null where the repository has none of its endpoint
     */
    public record Miss(
            String requestHash,
            String testId,
            String endpoint,
            String model,
            List<Path> lookedFor,
            FixtureIndex.Nearest nearest)
            implements Lookup {

        /** Differences named in a message; the rest are counted. */
        static final int NAMED_DIFFERENCES = 8;

        public String message() {
            return "no recording for this request in replay mode: hash " + requestHash
                    + ", test id " + (testId == null ? "(none)" : testId) + ", endpoint " + endpoint
                    + ", model " + (model == null || model.isEmpty() ? "(none)" : model) + "; looked for "
                    + lookedFor.stream().map(Path::toString).toList()
                    + "; " + diagnosis()
                    + ". Record it by running the agent with --mode record-if-missing (or record) against the real upstream,"
                    + " with the same test id and request.";
        }

        /**
         * The nearest recording as JSON ({@code file}, {@code why}, {@code differences} of
         * {@code path}, {@code sent}, {@code recorded}), as the 404 and the inspector show it; null without one.
         */
        public ObjectNode nearestJson() {
            if (nearest == null) {
                return null;
            }
            ObjectNode json = JsonNodeFactory.instance
                    .objectNode()
                    .put("file", nearest.file().toString())
                    .put("why", nearest.why());
            ArrayNode list = json.putArray("differences");
            for (RequestDiff.Difference difference : nearest.differences()) {
                list.addObject()
                        .put("path", difference.path())
                        .put("sent", difference.sent())
                        .put("recorded", difference.recorded());
            }
            return json;
        }

        /** What the nearest recording is, and where the request differs from it. */
        public String diagnosis() {
            if (nearest == null) {
                return "no recording of " + endpoint + " to compare with";
            }
            List<RequestDiff.Difference> differences = nearest.differences();
            String where = differences.isEmpty()
                    ? "the same body (recorded under another test id or other hash rules)"
                    : "differs in "
                            + String.join(
                                    ", ",
                                    differences.stream()
                                            .limit(NAMED_DIFFERENCES)
                                            .map(RequestDiff.Difference::toString)
                                            .toList())
                            + (differences.size() > NAMED_DIFFERENCES
                                    ? " and " + (differences.size() - NAMED_DIFFERENCES) + " more"
                                    : "");
            return "nearest recording " + nearest.file() + " (" + nearest.why() + "): " + where;
        }
    }

    private final Path root;
    private final FixtureProfile profile;
    /** Today's hash rules first, then the earlier generations a repository may hold. */
    private final List<HashRules> rules = new ArrayList<>();

    private final FixtureRepository repository;
    /** Provider-like values for a round trip's provider form, or null to serve the recorded form. */
    private final FixtureFile.ProviderValues providerValues;

    private final boolean chunkTiming;

    /** The repository's recorded requests, for a miss's nearest recording. */
    private final FixtureIndex index;

    /** Serves the recorded data as recorded (the SDK's dump, normalized), as llama-stack replays it. */
    public FixtureReplay(Path root, FixtureLayout layout) {
        this(root, layout, null);
    }

    /**
     * @param providerValues serve as a provider would send it instead (key order changed, nulls left
     *                       out, normalized values filled by these): for round-trip checks of a capture;
     *                       null to serve as llama-stack replays
     */
    public FixtureReplay(Path root, FixtureLayout layout, FixtureFile.ProviderValues providerValues) {
        this.providerValues = providerValues;
        this.chunkTiming = layout.chunkTiming();
        this.profile = layout.profile();
        this.root = root.toAbsolutePath().normalize();
        this.repository = new FixtureRepository(layout);
        this.index = new FixtureIndex(this.root, Clock.systemUTC());
        rules.add(layout.hashRules());
        for (HashRules earlier : HashRules.values()) {
            if (earlier != layout.hashRules() && profile.testScoped()) {
                rules.add(earlier);
            }
        }
    }

    public Lookup find(ExchangeRequest request) {
        return find(new FixtureRequest(
                request.method(),
                request.recordedUrl(),
                request.endpoint(),
                request.body(),
                request.testId(),
                request.query()));
    }

    /** The fixture of a request as its client sent it (recorded URL, wire body), or what a miss found out. */
    public Lookup find(FixtureRequest fixtureRequest) {
        EndpointKind kind = fixtureRequest.kind();
        List<Path> lookedFor = new ArrayList<>();
        String firstHash = null;
        for (HashRules generation : rules) {
            String hash = FixtureKeys.requestHash(fixtureRequest, profile, generation);
            if (firstHash == null) {
                firstHash = hash;
            } else if (hash.equals(firstHash)) {
                continue;
            }
            Hit hit = find(kind, fixtureRequest.testId(), hash, lookedFor);
            if (hit != null) {
                return hit;
            }
        }
        return new Miss(
                firstHash,
                fixtureRequest.testId(),
                fixtureRequest.endpoint(),
                fixtureRequest.model(),
                lookedFor,
                nearest(fixtureRequest, kind));
    }

    /** The recording nearest a request that has none, compared as llama-stack records requests. */
    private FixtureIndex.Nearest nearest(FixtureRequest request, EndpointKind kind) {
        JsonNode body;
        try {
            body = RecordedRequests.body(request, kind, profile);
        } catch (PyJson.InvalidJsonException notJson) {
            return null; // a body that is not JSON is compared with nothing
        }
        return index.nearest(
                        request.testId(),
                        kind.recordedEndpoint(request.endpoint()),
                        body,
                        profile.testScoped() ? repository.lookupDirs(request.testId()) : List.of())
                .orElse(null);
    }

    private Hit find(EndpointKind kind, String testId, String hash, List<Path> lookedFor) {
        if (!profile.testScoped()) {
            Path file = root.resolve(repository.legacyPath(hash)).normalize();
            lookedFor.add(file);
            return Files.isRegularFile(file) ? hit(hash, file) : null;
        }
        List<Path> modelLists = new ArrayList<>();
        for (String dir : repository.lookupDirs(testId)) {
            Path directory = root.resolve(dir).normalize();
            if (kind.isModelList()) {
                lookedFor.add(directory.resolve(FixtureRepository.modelListPrefix(hash) + "*.json"));
                modelLists.addAll(modelFiles(directory, hash));
            } else {
                Path file = directory.resolve(hash + ".json");
                lookedFor.add(file);
                if (Files.isRegularFile(file)) {
                    return hit(hash, file);
                }
            }
        }
        if (modelLists.isEmpty()) {
            return null;
        }
        // a provider sends its one list as it is; llama-stack's replay merges and sorts
        return providerValues != null && modelLists.size() == 1
                ? hit(hash, modelLists.get(0))
                : mergedModels(kind, hash, modelLists);
    }

    private Hit hit(String hash, Path file) {
        try {
            FixtureFile fixture = FixtureFile.read(file);
            return new Hit(
                    hash,
                    List.of(file),
                    fixture.wireStatus(),
                    fixture.wireForm(),
                    providerValues != null
                            ? fixture.providerResponseChunks(providerValues)
                            : fixture.wireResponseChunks(),
                    fixture.responseHeaders(),
                    providerValues != null,
                    chunkTiming && fixture.isStreaming() ? ChunkTiming.read(file) : List.of(),
                    fixture.isInterrupted());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read fixture " + file, e);
        }
    }

    private static List<Path> modelFiles(Path directory, String hash) {
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> matches =
                Files.newDirectoryStream(directory, FixtureRepository.modelListPrefix(hash) + "*.json")) {
            matches.forEach(files::add);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + directory, e);
        }
        files.sort(null);
        return files;
    }

    /**
     * The model lists of every file merged as llama-stack merges them: keyed by id (Ollama: by
     * {@code model}), a later file's entry replacing an earlier one's, sorted by key.
     */
    private Hit mergedModels(EndpointKind kind, String hash, List<Path> files) {
        String key = kind == EndpointKind.OLLAMA_TAGS ? "model" : "id";
        Map<String, JsonNode> byKey = new TreeMap<>(PyJson::compareCodePoints);
        for (Path file : files) {
            JsonNode listing = PyJson.parse(hit(hash, file).chunks().get(0));
            for (JsonNode model : kind == EndpointKind.OLLAMA_TAGS ? listing.path("models") : listing.path("data")) {
                byKey.put(model.path(key).asText(), model);
            }
        }
        byte[] merged;
        if (kind == EndpointKind.OLLAMA_TAGS) {
            ObjectNode list = JsonNodeFactory.instance.objectNode();
            list.putArray("models").addAll(byKey.values());
            merged = PyJson.dumpsCompact(list).getBytes(StandardCharsets.UTF_8);
        } else {
            merged = FixtureFile.modelListWire(byKey.values());
        }
        return new Hit(
                hash, files, 200, WireForm.JSON, List.of(merged), List.of(), providerValues != null, List.of(), false);
    }
}
