package dev.tapeline.sink;

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

    private volatile String cause;
    private Instant since;
    private Instant nextRetry;
    private final dev.tapeline.settings.Reminder reminder = new dev.tapeline.settings.Reminder();
    /** Whether this stall was said (then its end is said too). */
    private boolean said;

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
     * then): at a stall's start unless one was said less than a minute ago, and once a minute.
     *
     * @param progressed whether this try wrote something before it failed: the wait starts again
     *                   from the first (space is coming back)
     */
    boolean failed(IOException error, boolean progressed) {
        Instant now = clock.instant();
        attempts++;
        cause = describe(error);
        if (since == null) {
            since = now;
            backoff = firstRetry;
        } else {
            Duration doubled = backoff.multipliedBy(2);
            backoff = progressed ? firstRetry : doubled.compareTo(maxRetry) > 0 ? maxRetry : doubled;
        }
        nextRetry = now.plus(backoff);
        // said at its start, unless a stall was said less than a minute ago (a nearly full disk takes
        // some fixtures and refuses others), and once a minute while it lasts
        if (reminder.due(now)) {
            said = true;
            return true;
        }
        return false;
    }

    /** Whether a stall is on and its next try is due. */
    boolean retryDue() {
        return since != null && !clock.instant().isBefore(nextRetry);
    }

    boolean stalled() {
        return since != null;
    }

    /** Ends the stall: how long it lasted where it was said (its end is to be said too), else null. */
    Duration cleared() {
        if (since == null) {
            return null;
        }
        Duration lasted = Duration.between(since, clock.instant());
        boolean tell = said;
        since = null;
        cause = null;
        attempts = 0;
        said = false;
        return tell ? lasted : null;
    }

    /** How long the stall has lasted. */
    Duration lasted() {
        return since == null ? Duration.ZERO : Duration.between(since, clock.instant());
    }

    /** Failed writes in this stall. */
    long attempts() {
        return attempts;
    }

    /** Why the repository cannot be written now, or null when it can. */
    String problem() {
        String now = cause;
        return now == null ? null : "fixture repository not writable: " + now;
    }
}
