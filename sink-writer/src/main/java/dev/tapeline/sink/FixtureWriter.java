package dev.tapeline.sink;

import dev.tapeline.fixture.RenderedFixture;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/**
 * Writes fixture files under a root directory: atomically (temp file in the same directory,
 * fsync, rename, fsync of the directory), idempotently (identical content is not rewritten), and
 * never outside the root.
 */
public final class FixtureWriter {

    /** What a write did. */
    public enum Result {
        WRITTEN,
        UNCHANGED,
        DELETED
    }

    /** A temporary this writer made: {@code .<name>.tmp-<uuid>}. */
    private static final java.util.regex.Pattern TEMPORARY =
            java.util.regex.Pattern.compile("\\..+\\.tmp-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    private final Path root;
    private final java.time.Clock clock;

    public FixtureWriter(Path root) {
        this(root, java.time.Clock.systemUTC());
    }

    public FixtureWriter(Path root, java.time.Clock clock) {
        this.root = root.toAbsolutePath().normalize();
        this.clock = clock;
    }

    /** The files under the root whose name matches, temporaries left out. */
    public List<Path> find(java.util.function.Predicate<String> name) throws IOException {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (java.util.stream.Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile)
                    .filter(path ->
                            !TEMPORARY.matcher(path.getFileName().toString()).matches())
                    .filter(path -> name.test(path.getFileName().toString()))
                    .toList();
        }
    }

    /** Deletes a file under the root, durably; false when it was not there. */
    public boolean delete(Path path) throws IOException {
        Path target = path.toAbsolutePath().normalize();
        if (!target.startsWith(root) || target.equals(root)) {
            throw new IllegalArgumentException("not under the fixture root: " + path);
        }
        boolean deleted = Files.deleteIfExists(target);
        if (deleted) {
            syncDirectory(target.getParent());
        }
        return deleted;
    }

    /**
     * Deletes the temporaries a writer killed mid-write left behind (hidden, never a fixture),
     * those older than {@code minAge} only: another sink sharing the root may be writing its own.
     *
     * @return how many were deleted
     */
    public int removeAbandonedTemporaries(java.time.Duration minAge) throws IOException {
        if (!Files.isDirectory(root)) {
            return 0;
        }
        java.time.Instant before = clock.instant().minus(minAge);
        List<Path> abandoned;
        try (java.util.stream.Stream<Path> files = Files.walk(root)) {
            abandoned = files.filter(path ->
                            TEMPORARY.matcher(path.getFileName().toString()).matches())
                    .filter(path -> modifiedBefore(path, before))
                    .toList();
        }
        for (Path path : abandoned) {
            Files.deleteIfExists(path);
        }
        return abandoned.size();
    }

    private static boolean modifiedBefore(Path path, java.time.Instant before) {
        try {
            return Files.isRegularFile(path)
                    && Files.getLastModifiedTime(path).toInstant().isBefore(before);
        } catch (IOException e) {
            return false; // gone meanwhile: renamed by its writer
        }
    }

    /** The absolute path of a fixture, refused if it would leave the root. */
    public Path resolve(String relativePath) {
        Path target = root.resolve(relativePath).normalize();
        if (!target.startsWith(root)
                || target.equals(root)
                || Path.of(relativePath).isAbsolute()) {
            throw new IllegalArgumentException("fixture path escapes the fixture root: " + relativePath);
        }
        return target;
    }

    public Result write(RenderedFixture fixture) throws IOException {
        Path target = resolve(fixture.relativePath());
        if (Files.isRegularFile(target)
                && Files.size(target) == fixture.content().length
                && Arrays.equals(Files.readAllBytes(target), fixture.content())) {
            return Result.UNCHANGED;
        }
        Path dir = target.getParent();
        Files.createDirectories(dir);
        Path temp = dir.resolve("." + target.getFileName() + ".tmp-" + UUID.randomUUID());
        try {
            try (FileChannel channel =
                    FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
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
