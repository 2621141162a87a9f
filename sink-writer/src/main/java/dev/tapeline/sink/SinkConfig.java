package dev.tapeline.sink;

import dev.tapeline.fixture.FixtureProfile;
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
 * @param profile         fixture layout to write
 * @param sharedDir       where recordings without a test id go, relative to the root ("" = root)
 * @param pollTimeout     consumer poll timeout
 */
public record SinkConfig(String recordingsTopic, String groupId, Path fixtureRoot, FixtureProfile profile,
        String sharedDir, Duration pollTimeout) {

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
        if (profile == null) {
            problems.add("profile: required");
        }
        if (sharedDir == null || sharedDir.startsWith("/") || sharedDir.contains("..")) {
            problems.add("sharedDir: must be a relative path inside the fixture root");
        }
        if (pollTimeout == null || pollTimeout.isNegative() || pollTimeout.isZero()) {
            problems.add("pollTimeout: must be positive");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid sink configuration: " + String.join("; ", problems));
        }
    }

    public static SinkConfig defaults(String recordingsTopic, Path fixtureRoot) {
        return new SinkConfig(recordingsTopic, "tapeline-sink", fixtureRoot, FixtureProfile.CURRENT, "",
                Duration.ofMillis(200));
    }
}
