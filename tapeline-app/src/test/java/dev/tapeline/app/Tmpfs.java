package dev.tapeline.app;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * A size-limited tmpfs mounted for one test: a disk that really fills (ENOSPC from the kernel) and
 * grows again. Root can mount one on the developer machines and in CI; where mounting is refused the
 * test is skipped with the reason, unless {@code TAPELINE_REQUIRE_TMPFS} is set (CI), where it fails.
 */
final class Tmpfs implements AutoCloseable {

    private final Path dir;

    private Tmpfs(Path dir) {
        this.dir = dir;
    }

    /** Mounts a tmpfs of {@code size} ({@code 1m}, {@code 64m}) on {@code dir}, created if absent. */
    static Tmpfs mount(Path dir, String size) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        String refused = run(List.of("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", dir.toString()));
        if (refused != null) {
            String why = "cannot mount a size-limited tmpfs (" + refused + "): the disk-full test needs root";
            if (System.getenv("TAPELINE_REQUIRE_TMPFS") != null) {
                fail(why + "; TAPELINE_REQUIRE_TMPFS is set");
            }
            Assumptions.abort(why);
        }
        return new Tmpfs(dir);
    }

    /** Gives the filesystem a new size; what is on it stays. */
    void resize(String size) throws IOException, InterruptedException {
        String refused = run(List.of("mount", "-o", "remount,size=" + size, dir.toString()));
        if (refused != null) {
            throw new IOException("cannot resize the tmpfs at " + dir + ": " + refused);
        }
    }

    /** Makes the filesystem read-only ({@code false}) or writable again ({@code true}); what is on it stays. */
    void writable(boolean writable) throws IOException, InterruptedException {
        String refused = run(List.of("mount", "-o", "remount," + (writable ? "rw" : "ro"), dir.toString()));
        if (refused != null) {
            throw new IOException("cannot remount the tmpfs at " + dir + ": " + refused);
        }
    }

    /** Takes every free byte of the filesystem with {@code file} (a file on it): the disk is full until it is deleted. */
    static void fill(Path file) throws IOException {
        byte[] block = new byte[64 * 1024];
        try (java.io.OutputStream out = Files.newOutputStream(file)) {
            while (true) {
                out.write(block);
            }
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("No space left on device")) {
                throw e;
            }
        }
    }

    /** Null when the command succeeded, else what it said. */
    private static String run(List<String> command) throws IOException, InterruptedException {
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            return e.getMessage();
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        return process.waitFor() == 0 ? null : "exit " + process.exitValue() + ": " + output;
    }

    @Override
    public void close() throws IOException, InterruptedException {
        // lazily: a process that still holds a file there does not keep the mount
        String refused = run(List.of("umount", "-l", dir.toString()));
        if (refused != null) {
            throw new IOException("cannot unmount the tmpfs at " + dir + ": " + refused);
        }
    }
}
