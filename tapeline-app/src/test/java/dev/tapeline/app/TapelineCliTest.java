package dev.tapeline.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapeline.app.cli.TapelineCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class TapelineCliTest {

    private record Result(int exitCode, String out, String err) {}

    private static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = TapelineCli.commandLine()
                .setOut(new PrintWriter(out))
                .setErr(new PrintWriter(err))
                .setUsageHelpWidth(200);
        return new Result(cli.execute(args), out.toString(), err.toString());
    }

    @Test
    void givenHelp_whenRun_thenListsRunAndDemo() {
        Result result = run("--help");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).contains("run", "demo");
    }

    @Test
    void givenRunHelp_whenRun_thenDocumentsEveryOptionWithDefaults() {
        Result result = run("run", "--help");

        assertThat(result.out())
                .contains(
                        "--upstream",
                        "--recorded-base-url",
                        "--fixtures",
                        "--data-dir",
                        "--bootstrap-servers",
                        "--schema-registry-url",
                        "--profile",
                        "default: https://api.openai.com");
    }

    @Test
    void givenUnknownOptionOrBadProfile_whenRun_thenClearErrorAndUsageExitCode() {
        Result unknown = run("run", "--no-such-option");
        Result badProfile = run("run", "--profile", "newest");

        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.err()).contains("Unknown option: '--no-such-option'");
        assertThat(badProfile.exitCode()).isEqualTo(2);
        assertThat(badProfile.err()).contains("--profile", "CURRENT", "LEGACY");
    }

    @Test
    void givenInvalidRoute_whenRun_thenEveryProblemReportedWithoutStackTrace() {
        Result result = run("run", "--route", "name=x,colour=red");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err())
                .contains("invalid route 'name=x,colour=red'", "upstream is required", "unknown key 'colour'")
                .doesNotContain("at dev.tapeline");
    }

    @Test
    void givenIdleTimeoutAndJournalSizeOutOfRange_whenRun_thenEveryProblemNamedBeforeAnythingStarts() {
        Result notADuration = run("run", "--idle-timeout", "soon");
        Result outOfRange =
                run("run", "--idle-timeout", "0s", "--journal-max-mb", "1", "--data-dir", "target/never-created");

        assertThat(notADuration.exitCode()).isEqualTo(2);
        assertThat(notADuration.err()).contains("idle-timeout: 'soon' is not a duration");
        assertThat(outOfRange.exitCode()).isEqualTo(2);
        assertThat(outOfRange.err())
                .contains("idle-timeout: must be positive, got 0s", "journal-max-mb: must be 16..")
                .doesNotContain("at dev.tapeline");
        assertThat(java.nio.file.Path.of("target/never-created")).doesNotExist();
    }

    @Test
    void givenEachServicesDeclaredSettings_whenRunHelpIsShown_thenEachIsAnOptionWithItsDeclaredDefault() {
        Result result = run("run", "--help");

        for (dev.tapeline.settings.Setting<?> setting : RunCommand.SETTINGS) {
            assertThat(result.out()).contains(setting.option());
            if (!setting.isFlag() && !setting.defaultText().isEmpty()) {
                assertThat(result.out()).contains("(default: " + setting.defaultText() + ")");
            }
        }
        assertThat(result.out())
                .contains(
                        "--upstream-first-byte-timeout",
                        "--idle-timeout",
                        "--shutdown-grace",
                        "--journal-max-mb",
                        "--write-incomplete");
    }
}
