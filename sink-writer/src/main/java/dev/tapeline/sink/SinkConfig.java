package dev.tapeline.sink;

import dev.tapeline.fixture.FixtureLayout;
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
 */
public record SinkConfig(String recordingsTopic, String groupId, Path fixtureRoot, FixtureLayout layout,
        Duration pollTimeout, boolean writeIncomplete) {

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
        if (pollTimeout == null || pollTimeout.isNegative() || pollTimeout.isZero()) {
            problems.add("pollTimeout: must be positive");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid sink configuration: " + String.join("; ", problems));
        }
    }

    public static SinkConfig defaults(String recordingsTopic, Path fixtureRoot) {
        return new SinkConfig(recordingsTopic, "tapeline-sink", fixtureRoot, FixtureLayout.current(),
                Duration.ofMillis(200), false);
    }
}
