package dev.tapeline.settings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SettingTest {

    private static final Setting<Duration> TIMEOUT =
            Setting.positiveDuration("timeout", Duration.ofMinutes(5), "A timeout.");
    private static final Setting<Long> SIZE = Setting.number("size-mb", 1024, 16, 4096, "A size.");
    private static final Setting<Boolean> SWITCH = Setting.flag("switch", "A switch.");

    @Test
    void givenTextsForSomeSettings_whenRead_thenTheirValuesAndTheDeclaredDefaultsForTheRest() {
        SettingValues values =
                SettingValues.read(List.of(TIMEOUT, SIZE, SWITCH), Map.of(TIMEOUT, "90s", SWITCH, "true")::get);

        assertThat(values.get(TIMEOUT)).isEqualTo(Duration.ofSeconds(90));
        assertThat(values.get(SIZE)).isEqualTo(1024L);
        assertThat(values.get(SWITCH)).isTrue();
        assertThat(SettingValues.DEFAULTS.get(TIMEOUT)).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void givenTextsThatDoNotReadAndValuesOutOfRange_whenRead_thenEveryProblemIsNamedAtOnce() {
        assertThatThrownBy(() -> SettingValues.read(List.of(TIMEOUT, SIZE), Map.of(TIMEOUT, "soon", SIZE, "1")::get))
                .hasMessageContaining("timeout: 'soon' is not a duration")
                .hasMessageContaining("size-mb: must be 16..4096, got 1");
        assertThatThrownBy(() -> SettingValues.read(List.of(TIMEOUT), Map.of(TIMEOUT, "0s")::get))
                .hasMessage("timeout: must be positive, got 0s");
    }

    @Test
    void givenAValueTheRecordChecks_whenWrongOrMissing_thenTheProblemNamesTheSetting() {
        List<String> problems = new ArrayList<>();

        TIMEOUT.check(Duration.ofSeconds(-1), problems);
        TIMEOUT.check(null, problems);

        assertThat(problems).containsExactly("timeout: must be positive, got -1s", "timeout: required");
    }

    @Test
    void givenADeclarationReusedUnderAnotherName_whenOffered_thenTheSameRulesAndDefault() {
        Setting<Duration> upstream = TIMEOUT.withName("upstream-timeout");

        assertThat(upstream.option()).isEqualTo("--upstream-timeout");
        assertThat(upstream.defaultText()).isEqualTo("5m");
        assertThat(Durations.format(Duration.ofMillis(1500))).isEqualTo("1500ms");
        assertThat(Durations.parse("PT10M")).isEqualTo(Durations.parse("10m"));
    }
}
