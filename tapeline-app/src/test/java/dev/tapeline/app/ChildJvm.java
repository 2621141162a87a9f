package dev.tapeline.app;

import dev.tapeline.app.cli.TapelineCli;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code tapeline run} in a JVM of its own, as a user runs it, its output (stdout and stderr)
 * added line by line to a list the test reads.
 *
 * @param process the child
 * @param reader  the thread copying its output; done once the child is gone
 */
record ChildJvm(Process process, Thread reader) {

    static ChildJvm run(List<String> args, List<String> output) throws Exception {
        return run(List.of(), args, output);
    }

    /** With these JVM options (a heap bound, say) before the main class. */
    static ChildJvm run(List<String> jvmOptions, List<String> args, List<String> output) throws Exception {
        List<String> runArgs = new ArrayList<>(List.of("run"));
        runArgs.addAll(args);
        List<String> command = JavaCommand.of(jvmOptions, TapelineCli.class.getName(), runArgs);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        Thread reader = new Thread(() -> {
            try (BufferedReader lines =
                    new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                lines.lines().forEach(output::add);
            } catch (Exception ignored) {
                // the process ended
            }
        });
        reader.setDaemon(true);
        reader.start();
        return new ChildJvm(process, reader);
    }

    /** The banner's last line: once it is read, the whole banner is. */
    private static final String BANNER_END = "Ctrl-C stops it";

    /** How many times a child writing into {@code output} printed its whole ready banner. */
    static long readyCount(List<String> output) {
        return output.stream().filter(line -> line.startsWith(BANNER_END)).count();
    }

    /**
     * Waits for the child's whole ready banner (never a part of it: the reader adds it line by
     * line) and returns its fields, e.g. {@code "Metrics"} to {@code "http://127.0.0.1:9464/metrics"};
     * fails with the output if the child exits first.
     */
    java.util.Map<String, String> awaitBanner(List<String> output, java.time.Duration timeout) {
        org.awaitility.Awaitility.await().atMost(timeout).until(() -> readyCount(output) > 0 || !process.isAlive());
        if (readyCount(output) == 0) {
            throw new AssertionError("tapeline run exited before it was ready:\n" + String.join("\n", output));
        }
        java.util.Map<String, String> fields = new java.util.LinkedHashMap<>();
        for (String line : output) {
            int colon = line.indexOf(':');
            if (line.startsWith("  ") && colon > 0) {
                fields.put(
                        line.substring(0, colon).trim(),
                        line.substring(colon + 1).trim());
            }
        }
        return fields;
    }
}
