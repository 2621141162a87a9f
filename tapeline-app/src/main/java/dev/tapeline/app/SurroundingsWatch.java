package dev.tapeline.app;

import dev.tapeline.settings.LastingProblem;
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

    private final List<Check> checks;
    private final Clock clock;
    private final BiConsumer<Level, String> say;
    /** Each check's problem while it lasts, by what it watches. */
    private final Map<String, LastingProblem> problems = new HashMap<>();

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
            LastingProblem away = problems.computeIfAbsent(check.what(), what -> new LastingProblem());
            if (problem == null) {
                Duration lasted = away.over(now);
                if (lasted != null) {
                    say.accept(Level.INFO, check.what() + " answers again after " + lasted.toSeconds() + " s");
                }
                continue;
            }
            boolean already = away.ongoing();
            if (!away.met(now, problem)) {
                continue;
            }
            say.accept(
                    Level.WARN,
                    already
                            ? check.what() + " still does not answer after "
                                    + away.lasted(now).toSeconds() + " s: " + problem + "; " + check.meanwhile()
                            : check.what() + " does not answer: " + problem + "; " + check.meanwhile());
        }
    }

    @Override
    public void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }
}
