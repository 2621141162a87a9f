package dev.tapeline.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tapeline.fixture.CapturedExchange;
import dev.tapeline.fixture.FixtureFile;
import dev.tapeline.fixture.FixtureProfile;
import dev.tapeline.fixture.FixtureRenderer;
import dev.tapeline.fixture.PyJson;
import dev.tapeline.fixture.TestIds;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds the fixture for a request in a fixture repository, as llama-stack's replay does: by the
 * request hash, in the test's recordings directory first, then in the shared one; model lists
 * ({@code models-<hash>-*.json}) from every file of that hash, merged.
 */
public final class FixtureReplay {

    /** The outcome of a look-up. */
    public sealed interface Lookup permits Hit, Miss {
    }

    /**
     * What to send back: the stored response in wire form. {@code raw}: one chunk holding the
     * whole SSE stream as recorded (HTTP passthrough), rather than one chunk per event.
     */
    public record Hit(String requestHash, Path file, int status, boolean streaming, boolean raw, List<byte[]> chunks)
            implements Lookup {
    }

    /** Nothing stored for the request; {@link #message()} says what was looked for and how to record it. */
    public record Miss(String requestHash, String testId, String endpoint, String model, List<Path> lookedFor)
            implements Lookup {

        public String message() {
            return "no recording for this request in replay mode: hash " + requestHash
                    + ", test id " + (testId == null ? "(none)" : testId) + ", endpoint " + endpoint
                    + ", model " + (model == null || model.isEmpty() ? "(none)" : model) + "; looked for "
                    + lookedFor.stream().map(Path::toString).toList()
                    + ". Record it by running the agent with --mode record-if-missing (or record) against the real upstream,"
                    + " with the same test id and request.";
        }
    }

    private final Path root;
    private final FixtureRenderer renderer;
    private final String sharedDir;
    private final boolean providerForm;

    /** Serves the recorded data as recorded (the SDK's dump, normalized), as llama-stack replays it. */
    public FixtureReplay(Path root, FixtureProfile profile, String sharedDir) {
        this(root, profile, sharedDir, false);
    }

    /**
     * @param providerForm serve as a provider would send it instead (key order changed, nulls left
     *                     out, ids and timestamps de-normalized): for round-trip checks of a capture
     */
    public FixtureReplay(Path root, FixtureProfile profile, String sharedDir, boolean providerForm) {
        this.providerForm = providerForm;
        if (profile != FixtureProfile.CURRENT) {
            throw new IllegalArgumentException("replay reads the CURRENT fixture layout only, not " + profile);
        }
        this.root = root.toAbsolutePath().normalize();
        this.renderer = new FixtureRenderer(profile, sharedDir);
        this.sharedDir = sharedDir.isEmpty() || sharedDir.endsWith("/") ? sharedDir : sharedDir + "/";
    }

    public Lookup find(ExchangeRequest request) {
        String hash = renderer.requestHash(new CapturedExchange(request.method(), request.recordedUrl(),
                request.endpoint(), request.body(), request.testId(), null, 0, false, List.of()));
        boolean models = request.endpoint().endsWith("/models");
        List<String> dirs = new ArrayList<>();
        if (request.testId() != null) {
            dirs.add(TestIds.recordingsDir(request.testId()));
        }
        dirs.add(sharedDir + "recordings/");
        List<Path> lookedFor = new ArrayList<>();
        for (String dir : dirs.stream().distinct().toList()) {
            Path directory = root.resolve(dir).normalize();
            if (models) {
                lookedFor.add(directory.resolve("models-" + hash + "-*.json"));
                List<Path> files = modelFiles(directory, hash);
                if (!files.isEmpty()) {
                    return mergedModels(hash, files);
                }
            } else {
                Path file = directory.resolve(hash + ".json");
                lookedFor.add(file);
                if (Files.isRegularFile(file)) {
                    return hit(hash, file);
                }
            }
        }
        return new Miss(hash, request.testId(), request.endpoint(), modelOf(request.body()), lookedFor);
    }

    private Hit hit(String hash, Path file) {
        try {
            FixtureFile fixture = FixtureFile.read(file);
            return new Hit(hash, file, fixture.wireStatus(), fixture.isStreaming(), fixture.isPassthrough(),
                    providerForm ? fixture.providerResponseChunks() : fixture.wireResponseChunks());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read fixture " + file, e);
        }
    }

    private static List<Path> modelFiles(Path directory, String hash) {
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> matches = Files.newDirectoryStream(directory, "models-" + hash + "-*.json")) {
            matches.forEach(files::add);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + directory, e);
        }
        files.sort(null);
        return files;
    }

    /** The model lists of every file, merged by id in file order, as an OpenAI list response. */
    private Hit mergedModels(String hash, List<Path> files) {
        Map<String, JsonNode> byId = new LinkedHashMap<>();
        for (Path file : files) {
            for (JsonNode model : PyJson.parse(hit(hash, file).chunks().get(0)).path("data")) {
                byId.putIfAbsent(model.path("id").asText(), model);
            }
        }
        return new Hit(hash, files.get(0), 200, false, false, List.of(FixtureFile.modelListWire(byId.values())));
    }

    private static String modelOf(byte[] body) {
        try {
            JsonNode model = body.length == 0 ? null : PyJson.parse(body).get("model");
            return model == null ? null : model.asText();
        } catch (PyJson.InvalidJsonException e) {
            return null;
        }
    }
}
