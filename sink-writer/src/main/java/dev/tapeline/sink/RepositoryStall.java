package dev.tapeline.sink;

import dev.tapeline.settings.LastingProblem;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * When the fixture repository cannot be written (no space, read-only, permission denied, a
 * directory where a file should be): since when, why, when to try again (backoff doubling from
 * {@code firstRetry} to {@code maxRetry}) and whether it is time to say so again (once a minute).
 * One sink thread owns it; {@link #problem()} may be read from any thread.
 */
final class RepositoryStall {

    private final Clock clock;
    private final Duration firstRetry;
    private final Duration maxRetry;

    /** Since when, why, and when to say it. */
    private final LastingProblem problem = new LastingProblem();

    private Instant nextRetry;
    private Duration backoff;
    private long attempts;

    RepositoryStall(Clock clock, Duration firstRetry, Duration maxRetry) {
        this.clock = clock;
        this.firstRetry = firstRetry;
        this.maxRetry = maxRetry;
    }

    /** The fault in a few words, as a person reads it: the file and the operating system's reason. */
    static String describe(IOException e) {
        if (e instanceof FileSystemException fs && fs.getReason() != null) {
            String file = fs.getFile() == null ? "" : fs.getFile() + ": ";
            return file + fs.getReason();
        }
        if (e instanceof FileSystemException fs) {
            return e.getClass().getSimpleName() + " " + fs.getFile();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /**
     * A write failed. True when it is to be said now (the caller logs it at WARN then, and only
     * then): at a stall's start unless one was said less than a minute ago, and once a minute
     * ({@link LastingProblem}).
     *
     * @param progressed whether this try wrote something before it failed: the wait starts again
     *                   from the first (space is coming back)
     */
    boolean failed(IOException error, boolean progressed) {
        Instant now = clock.instant();
        attempts++;
        if (!problem.ongoing()) {
            backoff = firstRetry;
        } else {
            Duration doubled = backoff.multipliedBy(2);
            backoff = progressed ? firstRetry : doubled.compareTo(maxRetry) > 0 ? maxRetry : doubled;
        }
        nextRetry = now.plus(backoff);
        return problem.met(now, describe(error));
    }

    /** Whether a stall is on and its next try is due. */
    boolean retryDue() {
        return problem.ongoing() && !clock.instant().isBefore(nextRetry);
    }

    boolean stalled() {
        return problem.ongoing();
    }

    /** Ends the stall: how long it lasted where it was said (its end is to be said too), else null. */
    Duration cleared() {
        attempts = 0;
        return problem.over(clock.instant());
    }

    /** How long the stall has lasted. */
    Duration lasted() {
        return problem.lasted(clock.instant());
    }

    /** Failed writes in this stall. */
    long attempts() {
        return attempts;
    }

    /** Why the repository cannot be written now, or null when it can. */
    String problem() {
        String cause = problem.cause();
        return cause == null ? null : "fixture repository not writable: " + cause;
    }
}
