package dev.tapeline.settings;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class LastingProblemTest {

    private final Instant start = Instant.parse("2026-12-07T10:00:00Z");
    private final LastingProblem problem = new LastingProblem();

    @Test
    void givenNoProblem_thenNothingIsOnOrToTell() {
        assertThat(problem.ongoing()).isFalse();
        assertThat(problem.cause()).isNull();
        assertThat(problem.lasted(start)).isEqualTo(Duration.ZERO);
        assertThat(problem.over(start)).isNull();
    }

    @Test
    void givenAProblemThatLasts_thenSaidAtOnceThenOncePerMinuteAndItsEndTold() {
        assertThat(problem.met(start, "No space left on device")).isTrue();
        assertThat(problem.cause()).isEqualTo("No space left on device");
        assertThat(problem.met(start.plusSeconds(59), "No space left on device"))
                .isFalse();
        assertThat(problem.met(start.plus(LastingProblem.SAY_EVERY), "No space left on device"))
                .isTrue();
        assertThat(problem.met(start.plusSeconds(90), "No space left on device"))
                .isFalse();
        assertThat(problem.lasted(start.plusSeconds(90))).isEqualTo(Duration.ofSeconds(90));
        assertThat(problem.over(start.plusSeconds(95))).isEqualTo(Duration.ofSeconds(95));
        assertThat(problem.cause()).isNull();
        assertThat(problem.over(start.plusSeconds(96)))
                .as("nothing more to end")
                .isNull();
    }

    @Test
    void givenAProblemThatComesAndGoesWithinAMinute_thenSaidOnceAMinuteNotAtEveryFlap() {
        assertThat(problem.met(start, "full")).isTrue();
        assertThat(problem.over(start))
                .as("the first, said, is told when it ends")
                .isEqualTo(Duration.ZERO);
        for (int i = 1; i <= 10; i++) {
            assertThat(problem.met(start.plusSeconds(i), "full"))
                    .as("flap %d", i)
                    .isFalse();
            assertThat(problem.cause()).isEqualTo("full");
            assertThat(problem.over(start.plusSeconds(i)))
                    .as("its end is not told either")
                    .isNull();
        }
        assertThat(problem.met(start.plusSeconds(60), "full")).isTrue();
    }

    @Test
    void givenAnotherInterval_thenItsPaceIsKept() {
        LastingProblem fast = new LastingProblem(Duration.ofSeconds(5));
        assertThat(fast.met(start, "x")).isTrue();
        assertThat(fast.met(start.plusSeconds(4), "x")).isFalse();
        assertThat(fast.met(start.plusSeconds(5), "x")).isTrue();
    }
}
