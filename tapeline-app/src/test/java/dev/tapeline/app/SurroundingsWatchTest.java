package dev.tapeline.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapeline.schema.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

class SurroundingsWatchTest {

    private final ManualClock clock = new ManualClock();
    private final AtomicReference<String> registry = new AtomicReference<>();
    private final List<String> said = new ArrayList<>();
    private final SurroundingsWatch watch = new SurroundingsWatch(
            List.of(new SurroundingsWatch.Check(
                    "the schema registry at http://127.0.0.1:2 (--schema-registry-url)",
                    "capture events wait in the journal",
                    registry::get)),
            clock,
            (level, text) -> said.add(level + " " + text));

    @Test
    void givenEverythingAnswers_whenChecked_thenNothingIsSaid() {
        watch.checkNow();
        watch.checkNow();
        assertThat(said).isEmpty();
    }

    @Test
    void givenTheRegistryAway_whenChecked_thenWarnedAtOnceThenOncePerMinuteThenToldWhenBack() {
        registry.set("connection refused");
        watch.checkNow();
        assertThat(said)
                .containsExactly(Level.WARN + " the schema registry at http://127.0.0.1:2 (--schema-registry-url) does"
                        + " not answer: connection refused; capture events wait in the journal");

        clock.advance(Duration.ofSeconds(50));
        watch.checkNow();
        assertThat(said).hasSize(1);

        clock.advance(Duration.ofSeconds(10));
        watch.checkNow();
        assertThat(said)
                .last()
                .isEqualTo(Level.WARN + " the schema registry at http://127.0.0.1:2 (--schema-registry-url) still does"
                        + " not answer after 60 s: connection refused; capture events wait in the journal");

        clock.advance(Duration.ofSeconds(15));
        registry.set(null);
        watch.checkNow();
        assertThat(said)
                .last()
                .isEqualTo(Level.INFO + " the schema registry at http://127.0.0.1:2 (--schema-registry-url) answers"
                        + " again after 75 s");
        assertThat(said).hasSize(3);
    }
}
