package dev.tapeline.agent.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapeline.schema.testing.ManualClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class DiskFaultTest {

    private final ManualClock clock = new ManualClock();
    private final DiskFault fault = new DiskFault(clock);
    private final UncheckedIOException full =
            new UncheckedIOException("cannot append: No space left on device", new IOException("No space left"));

    @Test
    void givenAFaultThatLasts_thenSaidAtOnceThenOncePerMinuteAndItsEndTold() {
        assertThat(fault.failed(full)).isTrue();
        assertThat(fault.problem()).isEqualTo("cannot append: No space left on device");
        clock.advance(Duration.ofSeconds(59));
        assertThat(fault.failed(full)).isFalse();
        clock.advance(Duration.ofSeconds(1));
        assertThat(fault.failed(full)).isTrue();
        clock.advance(Duration.ofSeconds(5));
        assertThat(fault.cleared()).isEqualTo(Duration.ofSeconds(65));
        assertThat(fault.problem()).isNull();
        assertThat(fault.cleared()).as("nothing more to clear").isNull();
    }

    @Test
    void givenADiskThatFailsAndRecoversWriteByWrite_thenSaidOnceAMinuteNotAtEveryFlap() {
        assertThat(fault.failed(full)).isTrue();
        assertThat(fault.cleared()).as("the first, said, is told when it ends").isEqualTo(Duration.ZERO);
        for (int i = 0; i < 10; i++) {
            clock.advance(Duration.ofSeconds(1));
            assertThat(fault.failed(full)).as("flap %d", i).isFalse();
            assertThat(fault.cleared()).as("its end is not told either").isNull();
        }
        clock.advance(Duration.ofSeconds(50));
        assertThat(fault.failed(full)).isTrue();
    }
}
