package dev.tapeline.agent.capture;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class DiskFaultTest {

    private static final class Manual extends Clock {
        Instant now = Instant.parse("2026-12-07T10:00:00Z");

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private final Manual clock = new Manual();
    private final DiskFault fault = new DiskFault(clock);
    private final UncheckedIOException full =
            new UncheckedIOException("cannot append: No space left on device", new IOException("No space left"));

    @Test
    void givenAFaultThatLasts_thenSaidAtOnceThenOncePerMinuteAndItsEndTold() {
        assertThat(fault.failed(full)).isTrue();
        assertThat(fault.problem()).isEqualTo("cannot append: No space left on device");
        clock.now = clock.now.plusSeconds(59);
        assertThat(fault.failed(full)).isFalse();
        clock.now = clock.now.plusSeconds(1);
        assertThat(fault.failed(full)).isTrue();
        clock.now = clock.now.plusSeconds(5);
        assertThat(fault.cleared()).isEqualTo(Duration.ofSeconds(65));
        assertThat(fault.problem()).isNull();
        assertThat(fault.cleared()).as("nothing more to clear").isNull();
    }

    @Test
    void givenADiskThatFailsAndRecoversWriteByWrite_thenSaidOnceAMinuteNotAtEveryFlap() {
        assertThat(fault.failed(full)).isTrue();
        assertThat(fault.cleared()).as("the first, said, is told when it ends").isEqualTo(Duration.ZERO);
        for (int i = 0; i < 10; i++) {
            clock.now = clock.now.plusSeconds(1);
            assertThat(fault.failed(full)).as("flap %d", i).isFalse();
            assertThat(fault.cleared()).as("its end is not told either").isNull();
        }
        clock.now = clock.now.plusSeconds(50);
        assertThat(fault.failed(full)).isTrue();
    }
}
