package dev.tapeline.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapeline.fixture.CapturedExchange;
import dev.tapeline.fixture.FixtureProfile;
import dev.tapeline.fixture.FixtureRequest;
import dev.tapeline.fixture.RenderedFixture;
import dev.tapeline.fixture.shape.FixtureRenderer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExplainCommandTest {

    private static final String TEST_ID = "tests/integration/inference/test_chat.py::test_brief";
    private static final String BODY =
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":0.0}";

    @TempDir
    Path dir;

    private static Cli.Result explain(String... args) {
        List<String> all = new java.util.ArrayList<>(List.of("explain"));
        all.addAll(List.of(args));
        return Cli.run(all.toArray(String[]::new));
    }

    private Path recorded() throws Exception {
        RenderedFixture fixture = new FixtureRenderer(FixtureProfile.CURRENT)
                .render(CapturedExchange.of(
                        new FixtureRequest(
                                "POST",
                                "http://localhost:8000/v1/v1/chat/completions",
                                "/v1/chat/completions",
                                BODY.getBytes(StandardCharsets.UTF_8),
                                TEST_ID,
                                null),
                        null,
                        200,
                        false,
                        List.of(
                                "{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\",\"choices\":[]}"
                                        .getBytes(StandardCharsets.UTF_8))));
        Path file = dir.resolve("fixtures").resolve(fixture.relativePath());
        Files.createDirectories(file.getParent());
        Files.write(file, fixture.content());
        return file;
    }

    @Test
    void givenARequestChangedInOneField_whenExplained_thenTheNearestFixtureAndThatFieldAndExitCode1() throws Exception {
        Path fixture = recorded();
        Path request = dir.resolve("request.json");
        Files.writeString(
                request,
                "{\"endpoint\":\"/v1/chat/completions\",\"test_id\":\"" + TEST_ID + "\",\"body\":"
                        + BODY.replace("0.0", "0.7") + "}");

        Cli.Result result = explain(
                dir.resolve("fixtures").toString(),
                request.toString(),
                "--recorded-base-url",
                "http://localhost:8000/v1");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.out())
                .contains("not recorded: hash ")
                .contains("nearest recording: " + fixture + " (same test id)")
                .contains("  temperature: 0.7 ≠ 0.0");
    }

    @Test
    void givenAFixtureFileItself_whenExplained_thenFoundAndExitCode0() throws Exception {
        Path fixture = recorded();

        Cli.Result result = explain(dir.resolve("fixtures").toString(), fixture.toString());

        assertThat(result.exitCode()).isEqualTo(0);
        assertThat(result.out()).contains("recorded: " + fixture);
    }

    @Test
    void givenARequestWithoutAUrlOrABaseUrl_whenExplained_thenAClearErrorAndTheUsageExitCode() throws Exception {
        Path request = dir.resolve("request.json");
        Files.writeString(request, "{\"endpoint\":\"/v1/chat/completions\",\"body\":{}}");

        Cli.Result result = explain(dir.toString(), request.toString());

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("REQUEST.json has no url: give --recorded-base-url");
    }

    @Test
    void givenARequestFileThatIsNotThere_whenExplained_thenOneLineNamesItAndTheExitCodeSaysUnavailable()
            throws Exception {
        Files.createDirectories(dir.resolve("fixtures"));
        Path missing = dir.resolve("missing.json");

        Cli.Result result = explain(dir.resolve("fixtures").toString(), missing.toString());

        assertThat(result.exitCode()).isEqualTo(Unavailable.EXIT_CODE);
        assertThat(result.err())
                .isEqualTo("tapeline explain: cannot read REQUEST.json " + missing + ": no such file"
                        + System.lineSeparator());
    }

    @Test
    void givenAFixtureRootThatIsNotThere_whenExplained_thenOneLineNamesIt() throws Exception {
        Path request = dir.resolve("request.json");
        Files.writeString(request, "{\"endpoint\":\"/v1/chat/completions\",\"body\":{}}");

        Cli.Result result = explain(dir.resolve("nowhere").toString(), request.toString());

        assertThat(result.exitCode()).isEqualTo(Unavailable.EXIT_CODE);
        assertThat(result.err())
                .isEqualTo("tapeline explain: cannot read FIXTURES " + dir.resolve("nowhere") + ": no such file"
                        + System.lineSeparator());
    }
}
