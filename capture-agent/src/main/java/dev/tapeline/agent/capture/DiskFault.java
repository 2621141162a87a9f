package dev.tapeline.agent.capture;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * A disk fault of the journal that goes on (no space, an I/O error): since when and why, and
 * whether it is time to say so again (at once, then once a minute). One thread reports to it;
 * {@link #problem()} may be read from any thread.
 */
final class DiskFault {

    private final Clock clock;
    private volatile String cause;
    private Instant since;
    private final dev.tapeline.settings.Reminder reminder = new dev.tapeline.settings.Reminder();
    private boolean saidThisFault;

    DiskFault(Clock clock) {
        this.clock = clock;
    }

    /**
     * The fault happened (again): true when the caller should log it now: at its start, unless a
     * fault was said less than a minute ago (a nearly full disk fails and recovers write by
     * write), and once a minute while it lasts.
     */
    boolean failed(RuntimeException error) {
        Instant now = clock.instant();
        cause = error.getMessage();
        if (since == null) {
            since = now;
        }
        if (reminder.due(now)) {
            saidThisFault = true;
            return true;
        }
        return false;
    }

    /** A write succeeded: how long the fault lasted where it was said, else null (nothing to tell). */
    Duration cleared() {
        if (since == null) {
            return null;
        }
        Duration lasted = Duration.between(since, clock.instant());
        boolean tell = saidThisFault;
        since = null;
        cause = null;
        saidThisFault = false;
        return tell ? lasted : null;
    }

    /** What is wrong now, or null. */
    String problem() {
        return cause;
    }
}
