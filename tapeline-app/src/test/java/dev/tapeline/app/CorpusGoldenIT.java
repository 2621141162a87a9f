package dev.tapeline.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapeline.agent.Route;
import dev.tapeline.fixture.Corpus;
import dev.tapeline.fixture.path.TestIds;
import dev.tapeline.fixture.repo.FixtureFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Golden test over real llama-stack recordings (20 streamed and 20 plain chat completions, the
 * recorded exceptions, model lists, completions, embeddings): each is served as an upstream
 * would serve it (compact JSON in provider form: its own key order, nulls left out, real-looking
 * ids and timestamps; its status; SSE {@code data:} lines ending with {@code data: [DONE]}),
 * captured through the
 * agent, the broker, the topology and the sink, and the file written must be byte-identical to
 * the original. Skipped where the corpus is absent.
 */
class CorpusGoldenIT {

    private static final int PER_KIND = 20;

    @TempDir
    Path dir;

    /** Spread picks over the whole list, so the sample covers many providers and test files. */
    private static List<FixtureFile> spread(List<FixtureFile> files, int count) {
        assertThat(files).hasSizeGreaterThanOrEqualTo(count);
        List<FixtureFile> picked = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            picked.add(files.get(i * files.size() / count));
        }
        return picked;
    }

    @Test
    void givenCorpusRecordings_whenServedAsWireTrafficThroughThePipeline_thenEveryFixtureByteIdentical()
            throws Exception {
        Path root = Corpus.root();
        List<FixtureFile> placed = Corpus.openAiCompatible().stream()
                .filter(Corpus::placedByTestId)
                .toList();
        List<FixtureFile> sample = new ArrayList<>();
        sample.addAll(spread(
                Corpus.chatCompletions(true).stream()
                        .filter(Corpus::placedByTestId)
                        .toList(),
                PER_KIND));
        sample.addAll(spread(
                Corpus.chatCompletions(false).stream()
                        .filter(Corpus::placedByTestId)
                        .toList(),
                PER_KIND));
        // every other shape: recorded exceptions, model lists, completions, embeddings
        sample.addAll(placed.stream().filter(FixtureFile::isException).toList());
        sample.addAll(spread(
                placed.stream().filter(f -> f.endpoint().equals("/v1/models")).toList(), 5));
        sample.addAll(placed.stream()
                .filter(f ->
                        f.endpoint().equals("/v1/completions") || f.endpoint().equals("/v1/embeddings"))
                .toList());
        // HTTP passthrough: Anthropic Messages API and Gemini interactions, streamed and not
        sample.addAll(Corpus.readAll(Corpus.currentGeneration()).stream()
                .filter(FixtureFile::isPassthrough)
                .filter(Corpus::placedByTestId)
                .toList());
        // recorded against vLLM: provider_metadata carries the server's /version; one live server has
        // one version, so per base URL only the recordings of its first version are replayed
        java.util.Map<String, String> versions = new java.util.HashMap<>();
        placed.stream()
                .filter(f -> f.serverVersion() != null)
                .forEach(f -> versions.putIfAbsent(f.recordedBaseUrl(), f.serverVersion()));
        sample.addAll(placed.stream()
                .filter(f -> f.serverVersion() != null && !sample.contains(f))
                .toList());
        sample.removeIf(f -> f.serverVersion() != null && !f.serverVersion().equals(versions.get(f.recordedBaseUrl())));
        Map<String, FixtureFile> byName = new LinkedHashMap<>();
        sample.forEach(f -> byName.put(f.path().getFileName().toString(), f));

        // one route per base URL the corpus clients used: /r0, /r1, ... each to its own upstream path,
        // where the upstream also answers /version as a vLLM server would
        List<String> bases =
                sample.stream().map(FixtureFile::recordedBaseUrl).distinct().toList();
        try (CorpusUpstream upstream = CorpusUpstream.start(byName, bases, versions)) {
            List<Route> routes = new ArrayList<>();
            for (int i = 0; i < bases.size(); i++) {
                routes.add(new Route("r" + i, "/r" + i, URI.create(upstream.url(i)), bases.get(i)));
            }
            try (TestStack tapeline = new TestStack(dir, routes)) {
                HttpClient http = HttpClient.newBuilder()
                        .version(HttpClient.Version.HTTP_1_1)
                        .build();
                for (FixtureFile file : sample) {
                    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(tapeline.agentUrl() + "/r"
                                    + bases.indexOf(file.recordedBaseUrl()) + file.endpoint()))
                            .header("Authorization", "Bearer sk-corpus-golden")
                            .header("X-LlamaStack-Provider-Data", TestIds.providerDataHeader(file.testId()))
                            .header(
                                    CorpusUpstream.FIXTURE_HEADER,
                                    file.path().getFileName().toString());
                    if (file.endpoint().endsWith("/models")) {
                        request.GET();
                    } else {
                        request.header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofByteArray(file.wireRequestBody()));
                    }
                    if (file.clientSdkVersion() != null) {
                        request.header("X-Stainless-Lang", "python")
                                .header("X-Stainless-Package-Version", file.clientSdkVersion());
                    }
                    assertThat(http.send(request.build(), HttpResponse.BodyHandlers.discarding())
                                    .statusCode())
                            .isEqualTo(file.wireStatus());
                }
                tapeline.awaitFixtures(sample.size());

                List<String> different = FixtureFiles.differingFromCorpus(root, tapeline.fixtures, sample);
                assertThat(sample).filteredOn(FixtureFile::isException).hasSizeGreaterThanOrEqualTo(5);
                assertThat(sample)
                        .filteredOn(f -> f.endpoint().endsWith("/models"))
                        .hasSizeGreaterThanOrEqualTo(5);
                assertThat(sample).filteredOn(f -> f.serverVersion() != null).isNotEmpty();
                assertThat(sample).filteredOn(FixtureFile::isPassthrough).hasSizeGreaterThanOrEqualTo(10);
                assertThat(tapeline.written).hasSize(sample.size());
                assertThat(different)
                        .as("fixtures that differ from the corpus original")
                        .isEmpty();
            }
        }
    }
}
