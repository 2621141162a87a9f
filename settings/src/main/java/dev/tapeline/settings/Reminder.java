package dev.tapeline.settings;

import java.time.Duration;
import java.time.Instant;

/**
 * How often a problem that lasts is said again: at once, then at most once per interval (a minute
 * by default), however often it is met meanwhile; one rule for every part (a full disk, Kafka or
 * the registry out of reach), so a log is neither silent nor flooded. For one thread.
 */
public final class Reminder {

    /** The pace of every part of Tapeline. */
    public static final Duration EVERY = Duration.ofMinutes(1);

    private final Duration every;
    private Instant said;

    public Reminder() {
        this(EVERY);
    }

    public Reminder(Duration every) {
        this.every = every;
    }

    /** True when nothing was said within the interval before {@code now}: then it counts as said now. */
    public boolean due(Instant now) {
        if (said == null || !now.isBefore(said.plus(every))) {
            said = now;
            return true;
        }
        return false;
    }
}
