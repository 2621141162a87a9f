package dev.tapeline.settings;

import java.time.Duration;
import java.time.Instant;

/**
 * A problem that lasts (a full disk, Kafka or the registry out of reach): since when and why, and
 * when to say so. It is said at its start, unless a problem was said less than an interval ago (a
 * nearly full disk fails and recovers write by write), then once per interval while it lasts; its
 * end is told where its start was. One rule for every part, so a log is neither silent nor
 * flooded. One thread meets and ends it; {@link #cause()} may be read from any thread.
 */
public final class LastingProblem {

    /** The pace of every part of Tapeline. */
    public static final Duration SAY_EVERY = Duration.ofMinutes(1);

    private final Duration every;
    private volatile String cause;
    private Instant since;
    private Instant said;
    private boolean saidThisTime;

    public LastingProblem() {
        this(SAY_EVERY);
    }

    public LastingProblem(Duration every) {
        this.every = every;
    }

    /** The problem is met (again) at {@code now}: true when the caller is to say it now. */
    public boolean met(Instant now, String why) {
        cause = why;
        if (since == null) {
            since = now;
        }
        if (said == null || !now.isBefore(said.plus(every))) {
            said = now;
            saidThisTime = true;
            return true;
        }
        return false;
    }

    /** The problem is over: how long it lasted where its start was said (its end is to be told), else null. */
    public Duration over(Instant now) {
        if (since == null) {
            return null;
        }
        Duration lasted = Duration.between(since, now);
        boolean tell = saidThisTime;
        since = null;
        cause = null;
        saidThisTime = false;
        return tell ? lasted : null;
    }

    /** Whether the problem is on now. */
    public boolean ongoing() {
        return since != null;
    }

    /** How long it has lasted, zero while it is not on. */
    public Duration lasted(Instant now) {
        return since == null ? Duration.ZERO : Duration.between(since, now);
    }

    /** Why, while it is on; null otherwise. */
    public String cause() {
        return cause;
    }
}
