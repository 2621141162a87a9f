package dev.tapeline.app;

import dev.tapeline.fixture.repo.FixtureFile;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The fixture files under a root, listed while a sink may be writing there. */
final class FixtureFiles {

    private FixtureFiles() {}

    /**
     * The fixture files (not the sink's hidden temporaries); a temporary renamed or removed while
     * the tree is walked is passed over, never an error.
     */
    static List<Path> visible(Path root) throws IOException {
        if (!Files.exists(root)) {
            return List.of();
        }
        List<Path> found = new ArrayList<>();
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (attrs.isRegularFile() && !file.getFileName().toString().startsWith(".")) {
                    found.add(file);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
                return FileVisitResult.CONTINUE;
            }
        });
        return found;
    }

    /**
     * The corpus files whose copy under {@code fixtures} (at the same path relative to {@code corpus})
     * is missing or not byte-identical, by that relative path.
     */
    static List<String> differingFromCorpus(Path corpus, Path fixtures, List<FixtureFile> files) throws IOException {
        List<String> different = new ArrayList<>();
        for (FixtureFile file : files) {
            String relative = corpus.relativize(file.path()).toString();
            Path written = fixtures.resolve(relative);
            if (!Files.exists(written)
                    || !Arrays.equals(Files.readAllBytes(written), Files.readAllBytes(file.path()))) {
                different.add(relative);
            }
        }
        return different;
    }
}
