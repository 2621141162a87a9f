package dev.tapeline.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The log configuration Tapeline ships, as a user's terminal sees it. */
class LogConfigurationTest {

    private static List<String> layoutLines(String resource) throws Exception {
        try (var in = LogConfigurationTest.class.getResourceAsStream(resource)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    .lines()
                    .filter(line -> line.contains("<pattern>") || line.contains("<conversionRule"))
                    .map(String::trim)
                    .toList();
        }
    }

    @Test
    void givenTheShippedConfiguration_whenComparedWithTheTests_thenTheSameLineLayout() throws Exception {
        assertThat(layoutLines("/logback.xml"))
                .hasSize(2)
                .contains("<pattern>%d{HH:mm:ss.SSS} %-5level %logger{0} - %escapedMsg%n</pattern>")
                .isEqualTo(layoutLines("/logback-test.xml"));
    }

    @Test
    void givenAMessageCarryingANewlineAndANul_whenLogged_thenOneLineWithBothEscaped() {
        PrintStream stderr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            LoggerFactory.getLogger("dev.tapeline.sink.FixtureSink")
                    .info(
                            "recording {} not written: {}",
                            "k@tests/x.py::t\nINFO forged line",
                            "test id directory is not a safe relative path: tests/a\u0000b");
        } finally {
            System.setErr(stderr);
        }

        String log = captured.toString(StandardCharsets.UTF_8);
        assertThat(log).doesNotContain("\u0000").endsWith("\n");
        assertThat(log.lines())
                .hasSize(1)
                .first()
                .asString()
                .endsWith(
                        "FixtureSink - recording k@tests/x.py::t\\nINFO forged line not written: test id directory is not"
                                + " a safe relative path: tests/a\\u0000b");
    }
}
