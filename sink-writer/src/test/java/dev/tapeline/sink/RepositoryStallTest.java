package dev.tapeline.sink;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapeline.schema.testing.ManualClock;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RepositoryStallTest {

    private final ManualClock clock = new ManualClock();
    private final RepositoryStall stall = new RepositoryStall(clock, Duration.ofSeconds(1), Duration.ofSeconds(8));
    private final IOException full = new IOException("No space left on device");

    @Test
    void givenNoFault_thenThereIsNoProblemAndNoRetry() {
        assertThat(stall.problem()).isNull();
        assertThat(stall.stalled()).isFalse();
        assertThat(stall.retryDue()).isFalse();
    }

    @Test
    void givenWritesKeepFailing_whenTried_thenTheWaitDoublesUpToTheCeiling() {
        assertThat(stall.failed(full, false)).as("the first failure is said").isTrue();
        assertThat(stall.problem()).isEqualTo("fixture repository not writable: No space left on device");
        assertThat(stall.retryDue()).isFalse();
        clock.advance(Duration.ofMillis(999));
        assertThat(stall.retryDue()).isFalse();
        clock.advance(Duration.ofMillis(1));
        assertThat(stall.retryDue()).isTrue();

        for (long wait : new long[] {2, 4, 8, 8}) {
            assertThat(stall.failed(full, false))
                    .as("not said again within the minute")
                    .isFalse();
            clock.advance(Duration.ofSeconds(wait).minusMillis(1));
            assertThat(stall.retryDue()).as("before %d s", wait).isFalse();
            clock.advance(Duration.ofMillis(1));
            assertThat(stall.retryDue()).as("after %d s", wait).isTrue();
        }
        assertThat(stall.attempts()).isEqualTo(5);
    }

    @Test
    void givenATryThatWroteSomething_whenItFails_thenTheWaitStartsAgainFromTheFirst() {
        stall.failed(full, false);
        clock.advance(Duration.ofSeconds(1));
        stall.failed(full, false);
        clock.advance(Duration.ofSeconds(2));
        stall.failed(full, true);
        clock.advance(Duration.ofSeconds(1));
        assertThat(stall.retryDue()).isTrue();
    }

    @Test
    void givenAStallThatGoesOn_whenAMinutePasses_thenItIsSaidAgainOncePerMinute() {
        assertThat(stall.failed(full, false)).isTrue();
        clock.advance(Duration.ofSeconds(59));
        assertThat(stall.failed(full, false)).isFalse();
        clock.advance(Duration.ofSeconds(1));
        assertThat(stall.failed(full, false)).isTrue();
        clock.advance(Duration.ofSeconds(30));
        assertThat(stall.failed(full, false)).isFalse();
        assertThat(stall.lasted()).isEqualTo(Duration.ofSeconds(90));
    }

    @Test
    void givenAWriteThatSucceeds_whenCleared_thenTheProblemGoesAndHowLongItLastedIsTold() {
        stall.failed(new FileSystemException("/f/tests/x.json", null, "Read-only file system"), false);
        assertThat(stall.problem())
                .isEqualTo("fixture repository not writable: /f/tests/x.json: Read-only file system");
        clock.advance(Duration.ofSeconds(5));
        assertThat(stall.cleared()).isEqualTo(Duration.ofSeconds(5));
        assertThat(stall.problem()).isNull();
        assertThat(stall.retryDue()).isFalse();
        assertThat(stall.failed(full, false))
                .as("a stall again within the minute (a nearly full disk) is not said again")
                .isFalse();
        assertThat(stall.problem()).isEqualTo("fixture repository not writable: No space left on device");
        stall.cleared();
        clock.advance(Duration.ofMinutes(1));
        assertThat(stall.failed(full, false))
                .as("a stall a minute after the last said is said")
                .isTrue();
    }
}
