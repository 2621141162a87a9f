package dev.tapeline.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapeline.fixture.Corpus;
import dev.tapeline.fixture.EndpointKind;
import dev.tapeline.fixture.FixtureProfile;
import dev.tapeline.fixture.HashRules;
import dev.tapeline.fixture.repo.FixtureFile;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The corpus round-trip command on a sample of every shape, and of files it must skip. */
class RoundTripIT {

    @TempDir
    Path dir;

    private static List<FixtureFile> pick(List<FixtureFile> files, Predicate<FixtureFile> which, int count) {
        List<FixtureFile> matching = files.stream().filter(which).toList();
        List<FixtureFile> picked = new ArrayList<>();
        for (int i = 0; i < Math.min(count, matching.size()); i++) {
            picked.add(matching.get(i * matching.size() / Math.min(count, matching.size())));
        }
        return picked;
    }

    @Test
    void givenASampleOfTheCorpus_whenRoundTripped_thenEveryEligibleFileIdenticalAndTheRestSkippedWithReasons()
            throws Exception {
        Path root = Corpus.root();
        List<FixtureFile> all = Corpus.readAll(Corpus.currentGeneration());
        Predicate<FixtureFile> placed = Corpus::placedByTestId;
        List<FixtureFile> openAi = Corpus.openAiCompatible().stream()
                .filter(placed)
                // a replay upstream has no /version to report, so vLLM server versions do not come back
                .filter(f -> f.serverVersion() == null)
                .filter(f -> !f.path().getFileName().toString().startsWith("models-")
                        || all.stream()
                                        .filter(o -> o.nameHash().equals(f.nameHash()))
                                        .count()
                                == 1)
                .toList();
        List<FixtureFile> eligible = new ArrayList<>();
        eligible.addAll(pick(openAi, f -> f.isStreaming() && f.endpoint().endsWith("/chat/completions"), 10));
        eligible.addAll(pick(
                openAi,
                f -> !f.isStreaming() && !f.isException() && f.endpoint().endsWith("/chat/completions"),
                10));
        eligible.addAll(pick(openAi, FixtureFile::isException, 2));
        eligible.addAll(pick(openAi, f -> f.endpoint().endsWith("/models"), 2));
        eligible.addAll(pick(
                openAi,
                f -> f.endpoint().endsWith("/embeddings") || f.endpoint().endsWith("/v1/completions"),
                2));
        List<FixtureFile> anyGeneration =
                Corpus.openAiCompatibleAnyGeneration().stream().filter(placed).toList();
        // written by other recorder versions: intermediate (no id_normalization_mapping), hash rules before
        // file_search normalization, a model list with extra_query (watsonx), and the older generation
        eligible.addAll(pick(anyGeneration, f -> f.profile() == FixtureProfile.INTERMEDIATE, 2));
        eligible.addAll(
                pick(anyGeneration, f -> f.hashRules(f.profile()) == HashRules.BEFORE_FILE_SEARCH_NORMALIZATION, 2));
        eligible.addAll(pick(anyGeneration, f -> f.requestBody().has("extra_query"), 1));
        List<FixtureFile> older = Corpus.readAll(Corpus.olderGeneration());
        eligible.addAll(pick(older, f -> f.kind() == EndpointKind.CHAT, 2));
        // Ollama's native API: streamed generate (NDJSON), embed (recorded as /api/embeddings), ps, pull
        for (EndpointKind ollama : List.of(
                EndpointKind.OLLAMA_GENERATE,
                EndpointKind.OLLAMA_CHAT,
                EndpointKind.OLLAMA_EMBED,
                EndpointKind.OLLAMA_PS,
                EndpointKind.OLLAMA_PULL)) {
            eligible.addAll(pick(older, f -> f.kind() == ollama, 1));
        }
        eligible.addAll(pick(all, f -> f.kind() == EndpointKind.OLLAMA_PS && placed.test(f), 1));
        // google-genai on Vertex AI: streamed and not (gzip), with tools and a system instruction
        eligible.addAll(pick(all, f -> f.kind() == EndpointKind.GEMINI_GENERATE && f.notOnTheWire() == null, 2));
        eligible.addAll(pick(
                all,
                f -> f.kind() == EndpointKind.GEMINI_STREAM
                        && f.notOnTheWire() == null
                        && f.requestBody().path("config").has("tools"),
                1));
        eligible.addAll(pick(
                all,
                f -> f.kind() == EndpointKind.GEMINI_STREAM
                        && f.notOnTheWire() == null
                        && f.requestBody().path("config").has("system_instruction"),
                1));
        List<FixtureFile> skipped = new ArrayList<>();
        skipped.addAll(pick(all, f -> !f.isInferenceShape() && !f.isPassthrough(), 1));
        eligible.addAll(pick(all, f -> f.isPassthrough() && placed.test(f), 3));
        skipped.addAll(pick(all, f -> f.kind().isGemini() && f.notOnTheWire() != null, 1));
        skipped.addAll(pick(
                all,
                f -> f.isInferenceShape()
                        && f.hasTestIdField()
                        && placed.test(f)
                        && f.endpoint().equals("/v1/chat/completions")
                        && !f.isHashConsistent(f.profile()),
                1));
        skipped.addAll(pick(Corpus.openAiCompatible(), f -> placed.test(f) && f.serverVersion() != null, 1));
        Path fixtures = dir.resolve("repo");
        for (FixtureFile file : concat(eligible, skipped)) {
            Path copy = fixtures.resolve(root.relativize(file.path()).toString());
            Files.createDirectories(copy.getParent());
            Files.copy(file.path(), copy);
        }
        ByteArrayOutputStream printed = new ByteArrayOutputStream();

        RoundTrip.Report report =
                RoundTrip.run(fixtures, dir.resolve("work"), new PrintStream(printed, true, StandardCharsets.UTF_8));
        report.print(new PrintStream(printed, true, StandardCharsets.UTF_8), fixtures);

        assertThat(report.outcomes())
                .filteredOn(o -> o.kind() == RoundTrip.Kind.DIFFERENT)
                .isEmpty();
        assertThat(report.count(RoundTrip.Kind.IDENTICAL))
                .isEqualTo(eligible.size())
                .isGreaterThanOrEqualTo(40);
        assertThat(report.count(RoundTrip.Kind.SKIPPED)).isEqualTo(4);
        assertThat(printed.toString(StandardCharsets.UTF_8))
                .contains(
                        "identical: " + eligible.size(),
                        "different: 0",
                        "skipped 1: a call recorded inside llama-stack",
                        "skipped 1: a genai call with config.response_schema",
                        "skipped 1: its name is not the hash of its request",
                        "skipped 1: recorded against a vLLM server");
    }

    private static List<FixtureFile> concat(List<FixtureFile> a, List<FixtureFile> b) {
        List<FixtureFile> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
