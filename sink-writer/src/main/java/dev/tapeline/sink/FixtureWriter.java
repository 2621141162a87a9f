package dev.tapeline.sink;

import dev.tapeline.fixture.FixtureRenderer.RenderedFixture;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.UUID;

/**
 * Writes fixture files under a root directory: atomically (temp file in the same directory,
 * fsync, rename, fsync of the directory), idempotently (identical content is not rewritten), and
 * never outside the root.
 */
public final class FixtureWriter {

    /** What a write did. */
    public enum Result { WRITTEN, UNCHANGED }

    private final Path root;

    public FixtureWriter(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    /** The absolute path of a fixture, refused if it would leave the root. */
    public Path resolve(String relativePath) {
        Path target = root.resolve(relativePath).normalize();
        if (!target.startsWith(root) || target.equals(root) || Path.of(relativePath).isAbsolute()) {
            throw new IllegalArgumentException("fixture path escapes the fixture root: " + relativePath);
        }
        return target;
    }

    public Result write(RenderedFixture fixture) throws IOException {
        Path target = resolve(fixture.relativePath());
        if (Files.isRegularFile(target) && Files.size(target) == fixture.content().length
                && Arrays.equals(Files.readAllBytes(target), fixture.content())) {
            return Result.UNCHANGED;
        }
        Path dir = target.getParent();
        Files.createDirectories(dir);
        Path temp = dir.resolve("." + target.getFileName() + ".tmp-" + UUID.randomUUID());
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(fixture.content());
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            syncDirectory(dir);
        } finally {
            Files.deleteIfExists(temp);
        }
        return Result.WRITTEN;
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // some file systems cannot open directories; the rename is still atomic
        }
    }
}
