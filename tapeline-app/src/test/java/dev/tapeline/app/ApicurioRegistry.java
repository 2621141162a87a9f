package dev.tapeline.app;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A real Apicurio Registry server (its Confluent-compatible API) in a child process, for the
 * interop tests: unpacked by the build ({@code tapeline.apicurio}), run on Java 21+
 * ({@code tapeline.registryJava}, else {@code JAVA_HOME} or a JDK under {@code /usr/lib/jvm}),
 * bound to loopback on free ports, with BACKWARD compatibility as Confluent's default. Tests are
 * skipped with the reason where either is missing.
 */
final class ApicurioRegistry implements AutoCloseable {

    private final Process process;
    private final int port;

    private ApicurioRegistry(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    static ApicurioRegistry start(Path logDir) throws IOException {
        Path home = Path.of(System.getProperty("tapeline.apicurio", "target/apicurio-3.3.3"));
        Path jar = home.resolve("quarkus-run.jar");
        required(
                Files.isRegularFile(jar),
                "Apicurio Registry not unpacked at " + home.toAbsolutePath()
                        + " (mvn verify unpacks it from Maven Central); registry interop tests skipped");
        Optional<Path> java = java21();
        required(
                java.isPresent(),
                "Apicurio Registry needs Java 21+ and none was found (set -Dtapeline.registryJava="
                        + "<path to bin/java> or JAVA_HOME); registry interop tests skipped");
        int port = Ports.free();
        Files.createDirectories(logDir);
        Process process = new ProcessBuilder(
                        java.get().toString(),
                        "-Xmx384m",
                        "-Dquarkus.http.host=127.0.0.1",
                        "-Dquarkus.http.port=" + port,
                        "-Dquarkus.management.host=127.0.0.1",
                        "-Dquarkus.management.port=" + Ports.free(),
                        "-Dapicurio.rules.global.compatibility=BACKWARD",
                        "-jar",
                        jar.toAbsolutePath().toString())
                .directory(home.toFile())
                .redirectErrorStream(true)
                .redirectOutput(logDir.resolve("apicurio.log").toFile())
                .start();
        ApicurioRegistry registry = new ApicurioRegistry(process, port);
        try {
            HttpClient http = HttpClient.newHttpClient();
            await().atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> {
                        if (!process.isAlive()) {
                            throw new IllegalStateException("Apicurio Registry exited with " + process.exitValue()
                                    + "; see " + logDir.resolve("apicurio.log"));
                        }
                        try {
                            return http.send(
                                                    HttpRequest.newBuilder(URI.create(registry.url() + "/subjects"))
                                                            .build(),
                                                    HttpResponse.BodyHandlers.discarding())
                                            .statusCode()
                                    == 200;
                        } catch (IOException e) {
                            return false;
                        }
                    });
        } catch (RuntimeException e) {
            registry.close();
            throw e;
        }
        return registry;
    }

    /**
     * Skips the test with the reason where something outside the project is missing; fails it
     * instead where the environment says interop must be proved ({@code TAPELINE_REQUIRE_INTEROP=1}, CI).
     */
    static void required(boolean present, String reason) {
        if ("1".equals(System.getenv("TAPELINE_REQUIRE_INTEROP"))) {
            if (!present) {
                throw new IllegalStateException(
                        reason.replace("; registry interop tests skipped", "").replace("; interop test skipped", "")
                                + " (TAPELINE_REQUIRE_INTEROP=1)");
            }
            return;
        }
        assumeTrue(present, reason);
    }

    /** The Confluent-compatible API's base URL. */
    String url() {
        return "http://127.0.0.1:" + port + "/apis/ccompat/v7";
    }

    private static Optional<Path> java21() {
        String configured = System.getProperty("tapeline.registryJava", "");
        if (!configured.isBlank()) {
            return Optional.of(Path.of(configured));
        }
        Stream<Path> homes = Stream.empty();
        if (System.getenv("JAVA_HOME") != null) {
            homes = Stream.of(Path.of(System.getenv("JAVA_HOME")));
        }
        Path jvms = Path.of("/usr/lib/jvm");
        if (Files.isDirectory(jvms)) {
            try (Stream<Path> listed = Files.list(jvms)) {
                homes = Stream.concat(homes, listed.sorted(Comparator.reverseOrder()).toList().stream());
            } catch (IOException e) {
                // no JDKs listed there
            }
        }
        return homes.filter(home -> featureVersion(home) >= 21)
                .map(home -> home.resolve("bin/java"))
                .filter(Files::isExecutable)
                .findFirst();
    }

    /** The JDK's feature version from its {@code release} file; 0 when unknown. */
    private static int featureVersion(Path home) {
        try {
            for (String line : Files.readAllLines(home.resolve("release"))) {
                if (line.startsWith("JAVA_VERSION=")) {
                    String version = line.substring("JAVA_VERSION=".length()).replace("\"", "");
                    return Integer.parseInt(version.split("[.+-]")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not a JDK
        }
        return 0;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
