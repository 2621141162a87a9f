package dev.tapeline.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * An address with a typo: each command that cannot go on says in one line what it could not
 * reach, the option that set it and what to check, and exits {@link Unavailable#EXIT_CODE};
 * never a stack trace.
 */
class UnreachableIT {

    @RegisterExtension
    static final InJvmKafka KAFKA = new InJvmKafka();

    @TempDir
    Path dir;

    /** A port nothing listens on: taken from the system, then let go. */
    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static String kafkaTimeout(String command, String address) {
        return "tapeline " + command + ": cannot reach Kafka at " + address + " (--bootstrap-servers): no answer"
                + " within 15 s; check the address and port and that the brokers run (a secured cluster also needs"
                + " --kafka-config security.protocol=... and its credentials)" + System.lineSeparator();
    }

    @Test
    void givenNoKafkaAtTheAddress_whenRunStarts_thenOneLineNamesKafkaItsAddressAndItsOption() throws Exception {
        String kafka = "127.0.0.1:" + closedPort();
        Cli.Result result = Cli.run(
                "run",
                "--bootstrap-servers",
                kafka,
                "--schema-registry-url",
                "http://127.0.0.1:" + closedPort(),
                "--port",
                "0",
                "--metrics-port",
                "-1",
                "--data-dir",
                dir.resolve("data").toString(),
                "--fixtures",
                dir.resolve("fixtures").toString());

        assertThat(result.exitCode()).isEqualTo(Unavailable.EXIT_CODE);
        assertThat(result.err()).isEqualTo(kafkaTimeout("run", kafka));
    }

    @Test
    void givenNoKafkaAtTheAddress_whenTheBatchCommandsStart_thenEachSaysSoInOneLine() throws Exception {
        String kafka = "127.0.0.1:" + closedPort();
        String registry = "http://127.0.0.1:" + closedPort();
        List<String> errors = new ArrayList<>();
        for (String[] command : List.of(
                new String[] {"replay-topic", "--fixtures", dir.resolve("f").toString()},
                new String[] {"import", dir.toString()},
                new String[] {"rerender", "--fixtures", dir.resolve("r").toString()})) {
            List<String> args = new ArrayList<>(List.of(command));
            args.addAll(List.of("--bootstrap-servers", kafka, "--schema-registry-url", registry));
            Cli.Result result = Cli.run(args.toArray(String[]::new));
            assertThat(result.exitCode()).as(command[0]).isEqualTo(Unavailable.EXIT_CODE);
            errors.add(result.err());
        }
        assertThat(errors)
                .containsExactly(
                        kafkaTimeout("replay-topic", kafka),
                        kafkaTimeout("import", kafka),
                        kafkaTimeout("rerender", kafka));
    }

    @Test
    void givenKafkaButNoRegistryAtTheAddress_whenReplayTopicStarts_thenOneLineNamesTheRegistryAndItsOption()
            throws Exception {
        String registry = "http://127.0.0.1:" + closedPort();
        Cli.Result result = Cli.run(
                "replay-topic",
                "--bootstrap-servers",
                KAFKA.bootstrapServers(),
                "--schema-registry-url",
                registry,
                "--fixtures",
                dir.resolve("f").toString());

        assertThat(result.exitCode()).isEqualTo(Unavailable.EXIT_CODE);
        assertThat(result.err())
                .startsWith("tapeline replay-topic: cannot reach the schema registry at " + registry
                        + " (--schema-registry-url): ")
                .endsWith("; check the address and that the registry runs" + System.lineSeparator())
                .doesNotContain("\tat ");
    }
}
