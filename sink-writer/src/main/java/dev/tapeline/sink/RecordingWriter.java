package dev.tapeline.sink;

import dev.tapeline.fixture.CapturedExchange;
import dev.tapeline.fixture.FixtureLayout;
import dev.tapeline.fixture.Interruption;
import dev.tapeline.fixture.RenderedFixture;
import dev.tapeline.fixture.UnrenderableException;
import dev.tapeline.fixture.path.FixtureRepository;
import dev.tapeline.fixture.python.PyJson;
import dev.tapeline.fixture.repo.ChunkTiming;
import dev.tapeline.fixture.shape.FixtureKeys;
import dev.tapeline.fixture.shape.FixtureRenderer;
import dev.tapeline.schema.Buffers;
import dev.tapeline.schema.Framing;
import dev.tapeline.schema.Outcome;
import dev.tapeline.schema.Recording;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What every Tapeline sink does with one record of the recordings topic, live or replaying a
 * range: render the recording in a layout and write its file atomically and idempotently; write an
 * imported fixture back as it was; delete a fixture on a tombstone. Exchanges that broke off are
 * written only when asked, and never over an existing file.
 */
public final class RecordingWriter {

    /** Why a record became no file: each a defined outcome, none a fault. */
    public enum Skip {
        /** The exchange did not complete (INCOMPLETE, FAILED) and broken-off exchanges are not written. */
        BROKE_OFF("broke off"),
        /** Broken-off exchanges are written, but this one's events are not all there. */
        EVENTS_MISSING("events missing"),
        /** No llama-stack fixture shape for this exchange (endpoint, body). */
        NO_FIXTURE_SHAPE("no fixture shape"),
        /** A broken-off exchange whose fixture already exists: the whole one is kept. */
        FIXTURE_KEPT("fixture kept"),
        /** A tombstone whose fixture is not there. */
        NO_SUCH_FIXTURE("no such fixture");

        private final String words;

        Skip(String words) {
            this.words = words;
        }

        /** How a person reads it. */
        public String words() {
            return words;
        }
    }

    /**
     * What became of a record.
     *
     * @param result what was done to the files, null when nothing was (then {@code skip} and {@code reason} say why)
     * @param paths  the files written, found identical or deleted
     * @param skip   why nothing was written, or null
     * @param label  the reason with what tells records of one reason apart (the outcome, the endpoint),
     *               short enough to count by: {@code broke off: FAILED CLIENT_DISCONNECT}
     * @param reason the whole reason, for the log
     */
    public record Applied(FixtureWriter.Result result, List<Path> paths, Skip skip, String label, String reason) {

        static Applied written(FixtureWriter.Result result, List<Path> paths) {
            return new Applied(result, paths, null, null, null);
        }

        static Applied skipped(Skip skip, String detail, String reason) {
            return new Applied(null, List.of(), skip, skip.words() + ": " + detail, reason);
        }
    }

    private final FixtureLayout layout;
    private final boolean writeIncomplete;
    private final boolean reRender;
    private final FixtureRenderer renderer;
    private final FixtureWriter writer;

    /**
     * @param reRender render imported fixtures from their recording too, instead of writing them
     *                 back as they were (to move them to another profile or hash rules)
     */
    public RecordingWriter(FixtureWriter writer, FixtureLayout layout, boolean writeIncomplete, boolean reRender) {
        this.writer = writer;
        this.layout = layout;
        this.writeIncomplete = writeIncomplete;
        this.reRender = reRender;
        this.renderer = new FixtureRenderer(layout);
    }

    public FixtureWriter fileWriter() {
        return writer;
    }

    /**
     * Applies one record: {@code recording} null is a tombstone. A disk problem is thrown, never
     * skipped; so is any failure other than an exchange with no fixture shape (a bug).
     */
    public Applied apply(String key, Recording recording) throws IOException {
        if (recording == null) {
            return delete(key);
        }
        if (recording.getSource() != null && !reRender) {
            RenderedFixture original = new RenderedFixture(
                    recording.getSource().getPath(),
                    FixtureKeys.hashOf(key),
                    Buffers.toArray(recording.getSource().getContent()));
            if (recording.getResponse().getChunks().stream().anyMatch(chunk -> chunk.getOffsetNanos() > 0)) {
                writeTiming(original, recording);
            }
            return Applied.written(writer.write(original), List.of(writer.resolve(original.relativePath())));
        }
        boolean completed = recording.getOutcome() == Outcome.COMPLETED;
        Interruption interruption = completed ? null : RecordingExchanges.interruption(recording);
        if (!completed && (!writeIncomplete || interruption == null)) {
            return Applied.skipped(
                    writeIncomplete ? Skip.EVENTS_MISSING : Skip.BROKE_OFF,
                    outcomeOf(recording),
                    "outcome " + recording.getOutcome() + " (" + recording.getOutcomeReason() + ")"
                            + (writeIncomplete
                                    ? "; its events are not all there"
                                    : "; exchanges that broke off are written with --write-incomplete"));
        }
        RenderedFixture fixture;
        try {
            CapturedExchange exchange = RecordingExchanges.toExchange(recording);
            fixture = completed ? renderer.render(exchange) : renderer.renderInterrupted(exchange, interruption);
        } catch (UnrenderableException | PyJson.InvalidJsonException e) {
            // no fixture shape for this exchange: a defined outcome; anything else is a bug, and is thrown
            String request = recording.getRequest().getMethod() + " "
                    + recording.getRequest().getEndpoint();
            return Applied.skipped(Skip.NO_FIXTURE_SHAPE, request, request + ": " + e.getMessage());
        }
        Path path = writer.resolve(fixture.relativePath());
        if (!completed && Files.exists(path)) {
            return Applied.skipped(
                    Skip.FIXTURE_KEPT,
                    outcomeOf(recording),
                    "broke off (" + recording.getOutcomeReason() + "); the fixture already at " + fixture.relativePath()
                            + " is kept");
        }
        if (recording.getResponse().getFraming() != Framing.BODY) {
            writeTiming(fixture, recording);
        }
        return Applied.written(writer.write(fixture), List.of(path));
    }

    /** The outcome as counted: {@code FAILED CLIENT_DISCONNECT}; the outcome alone where no failure reason is named. */
    private static String outcomeOf(Recording recording) {
        return recording.getFailureReason() == null
                ? recording.getOutcome().toString()
                : recording.getOutcome() + " " + recording.getFailureReason();
    }

    /** The chunk timing beside its fixture, where the layout keeps it: first, or the fixture would replay unpaced. */
    private void writeTiming(RenderedFixture fixture, Recording recording) throws IOException {
        if (layout.chunkTiming()) {
            writer.write(new RenderedFixture(
                    FixtureRepository.timingOf(fixture.relativePath()),
                    fixture.requestHash(),
                    ChunkTiming.render(RecordingExchanges.chunkOffsets(recording))));
        }
    }

    /**
     * A tombstone: deletes the files the key names wherever they are under the root (the key does
     * not say where: the test id is in the file), with their timing sidecars; a model list's key
     * deletes only its test's file.
     */
    private Applied delete(String key) throws IOException {
        String hash = FixtureKeys.hashOf(key);
        String testId = FixtureKeys.testIdOf(key);
        List<Path> deleted = new ArrayList<>();
        for (Path path : writer.find(name -> FixtureRepository.isFileOf(name, hash))) {
            if (testId != null
                    && path.getFileName().toString().startsWith("models-")
                    && !testId.equals(testIdIn(path))) {
                continue;
            }
            if (writer.delete(path)) {
                deleted.add(path);
            }
        }
        return deleted.isEmpty()
                ? Applied.skipped(Skip.NO_SUCH_FIXTURE, "tombstone", "tombstone for " + key + ": no such fixture")
                : Applied.written(FixtureWriter.Result.DELETED, deleted);
    }

    private static String testIdIn(Path path) {
        try {
            return dev.tapeline.fixture.repo.FixtureFile.read(path).testId();
        } catch (IOException | PyJson.InvalidJsonException e) {
            return null; // not a fixture file this key could name
        }
    }
}
