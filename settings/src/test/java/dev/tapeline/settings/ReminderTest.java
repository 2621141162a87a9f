package dev.tapeline.settings;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ReminderTest {

    private final Instant start = Instant.parse("2026-12-07T10:00:00Z");

    @Test
    void givenAProblemMetOftenWithinAMinute_thenItIsDueOnceThenAgainAMinuteAfter() {
        Reminder reminder = new Reminder();
        assertThat(reminder.due(start)).isTrue();
        assertThat(reminder.due(start.plusSeconds(1))).isFalse();
        assertThat(reminder.due(start.plusSeconds(59))).isFalse();
        assertThat(reminder.due(start.plus(Reminder.EVERY))).isTrue();
        assertThat(reminder.due(start.plus(Reminder.EVERY).plusSeconds(30))).isFalse();
    }

    @Test
    void givenAnotherInterval_thenItsPaceIsKept() {
        Reminder reminder = new Reminder(Duration.ofSeconds(5));
        assertThat(reminder.due(start)).isTrue();
        assertThat(reminder.due(start.plusSeconds(4))).isFalse();
        assertThat(reminder.due(start.plusSeconds(5))).isTrue();
    }
}
