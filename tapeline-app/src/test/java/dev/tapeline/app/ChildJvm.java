package dev.tapeline.app;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
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
        List<String> command = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), TapelineCli.class.getName(), "run"));
        command.addAll(args);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                lines.lines().forEach(output::add);
            } catch (Exception ignored) {
                // the process ended
            }
        });
        reader.setDaemon(true);
        reader.start();
        return new ChildJvm(process, reader);
    }

    /** How many times a child writing into {@code output} said it was ready. */
    static long readyCount(List<String> output) {
        return output.stream().filter(line -> line.startsWith("Tapeline is ready")).count();
    }
}
