package dev.tapeline.sink;

import dev.tapeline.fixture.FixtureLayout;
import dev.tapeline.settings.Setting;
import dev.tapeline.settings.SettingValues;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Sink settings, validated at once.
 *
 * @param recordingsTopic topic to consume
 * @param groupId         consumer group
 * @param fixtureRoot     root of the fixture repository
 * @param layout          fixture generation, storage dir and hash rules to write
 * @param pollTimeout     consumer poll timeout
 * @param writeIncomplete also write exchanges that broke off (INCOMPLETE, FAILED), as llama-stack
 *                        records an exception raised during a call; never over an existing fixture
 * @param writeRetryMax   the longest wait between two tries of a fixture repository that cannot be
 *                        written (the first try after a second, then doubling up to this)
 */
public record SinkConfig(
        String recordingsTopic,
        String groupId,
        Path fixtureRoot,
        FixtureLayout layout,
        Duration pollTimeout,
        boolean writeIncomplete,
        Duration writeRetryMax) {

    public static final Setting<Boolean> WRITE_INCOMPLETE = Setting.flag(
            "write-incomplete",
            "Also write exchanges that"
                    + " broke off (upstream reset, timeout, idle) as fixtures, as llama-stack records an exception raised"
                    + " mid-call: the chunks received, then the exception. Never replaces an existing fixture.");
    public static final Setting<Duration> POLL_TIMEOUT = Setting.positiveDuration(
            "poll-timeout", Duration.ofMillis(100), "How long one poll of the recordings topic waits for records.");
    public static final Setting<Duration> WRITE_RETRY_MAX = Setting.positiveDuration(
            "write-retry-max",
            Duration.ofSeconds(30),
            "The longest wait between two tries of a fixture repository the sink cannot write (disk full,"
                    + " read-only, permission denied): it pauses, tries again after 1 s, then doubling up to this, and"
                    + " resumes by itself; nothing is committed past a fixture not on disk.");
    /** What the command line offers; the others keep their defaults. */
    public static final List<Setting<?>> OPTIONS = List.of(WRITE_INCOMPLETE, WRITE_RETRY_MAX);

    /** The first wait after a failed write; the ceiling where that is shorter. */
    static final Duration FIRST_WRITE_RETRY = Duration.ofSeconds(1);

    public SinkConfig {
        List<String> problems = new ArrayList<>();
        if (recordingsTopic == null || recordingsTopic.isBlank()) {
            problems.add("recordingsTopic: required");
        }
        if (groupId == null || groupId.isBlank()) {
            problems.add("groupId: required");
        }
        if (fixtureRoot == null) {
            problems.add("fixtureRoot: required");
        }
        if (layout == null) {
            problems.add("layout: required");
        }
        POLL_TIMEOUT.check(pollTimeout, problems);
        WRITE_RETRY_MAX.check(writeRetryMax, problems);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid sink configuration: " + String.join("; ", problems));
        }
    }

    /** The sink as Tapeline runs it, with the given settings, the rest at their defaults. */
    public static SinkConfig of(
            String recordingsTopic, String groupId, Path fixtureRoot, FixtureLayout layout, SettingValues settings) {
        return new SinkConfig(
                recordingsTopic,
                groupId,
                fixtureRoot,
                layout,
                settings.get(POLL_TIMEOUT),
                settings.get(WRITE_INCOMPLETE),
                settings.get(WRITE_RETRY_MAX));
    }
}
