package dev.tapeline.app;

import dev.tapeline.settings.Reminder;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Looks at what a running pipeline depends on (Kafka, the schema registry) every few seconds and
 * says when one stops answering: at WARN at once, naming it and its option and what happens
 * meanwhile, again once a minute while it lasts, and at INFO when it answers again. The pipeline
 * goes on meanwhile (capture is journaled); this only makes sure somebody is told.
 */
final class SurroundingsWatch implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SurroundingsWatch.class);

    /**
     * One thing to watch.
     *
     * @param what      how a person names it: {@code the schema registry at http://… (--schema-registry-url)}
     * @param meanwhile what Tapeline does while it is away
     * @param problem   null while it answers, else why not
     */
    record Check(String what, String meanwhile, Supplier<String> problem) {}

    /** Since when a check fails; {@code said} whether its start was said (then its end is said too). */
    private record Away(Instant since, boolean said) {}

    private final List<Check> checks;
    private final Clock clock;
    private final BiConsumer<Level, String> say;
    private final Map<String, Away> away = new HashMap<>();
    private final Map<String, Reminder> reminders = new HashMap<>();
    private ScheduledExecutorService timer;

    SurroundingsWatch(List<Check> checks, Clock clock, BiConsumer<Level, String> say) {
        this.checks = List.copyOf(checks);
        this.clock = clock;
        this.say = say;
    }

    /** Watches {@code checks} every {@code every}, the first time at once, logging what it sees. */
    static SurroundingsWatch start(List<Check> checks, Duration every) {
        SurroundingsWatch watch = new SurroundingsWatch(
                checks, Clock.systemUTC(), (level, text) -> LOG.atLevel(level).log(text));
        watch.timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "tapeline-surroundings");
            thread.setDaemon(true);
            return thread;
        });
        watch.timer.scheduleWithFixedDelay(watch::checkNow, 0, every.toMillis(), TimeUnit.MILLISECONDS);
        return watch;
    }

    /** Runs every check once and says what changed (one thread at a time). */
    synchronized void checkNow() {
        Instant now = clock.instant();
        for (Check check : checks) {
            String problem = check.problem().get();
            Away was = away.get(check.what());
            Reminder reminder = reminders.computeIfAbsent(check.what(), what -> new Reminder());
            if (problem == null) {
                if (was != null) {
                    away.remove(check.what());
                    if (was.said()) {
                        say.accept(
                                Level.INFO,
                                check.what() + " answers again after "
                                        + Duration.between(was.since(), now).toSeconds() + " s");
                    }
                }
            } else if (was == null) {
                boolean due = reminder.due(now);
                away.put(check.what(), new Away(now, due));
                if (due) {
                    say.accept(Level.WARN, check.what() + " does not answer: " + problem + "; " + check.meanwhile());
                }
            } else if (reminder.due(now)) {
                away.put(check.what(), new Away(was.since(), true));
                say.accept(
                        Level.WARN,
                        check.what() + " still does not answer after "
                                + Duration.between(was.since(), now).toSeconds() + " s: " + problem + "; "
                                + check.meanwhile());
            }
        }
    }

    @Override
    public void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }
}
