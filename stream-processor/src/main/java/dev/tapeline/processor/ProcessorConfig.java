package dev.tapeline.processor;

import dev.tapeline.fixture.FixtureProfile;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Stream processor settings, validated at once.
 *
 * @param eventsTopic      capture events (input)
 * @param recordingsTopic  recordings (output), keyed by fixture key
 * @param keyProfile       the hashing rules of the fixture key
 * @param emittedRetention how long an emitted exchange is remembered, so late duplicates are dropped
 * @param purgeInterval    how often the forgotten ones are purged (wall clock)
 */
public record ProcessorConfig(String eventsTopic, String recordingsTopic, FixtureProfile keyProfile,
        Duration emittedRetention, Duration purgeInterval) {

    public static final String EXCHANGE_STORE = "exchange-state-store";
    public static final String CHUNK_STORE = "exchange-chunk-store";

    public ProcessorConfig {
        List<String> problems = new ArrayList<>();
        if (eventsTopic == null || eventsTopic.isBlank()) {
            problems.add("eventsTopic: required");
        }
        if (recordingsTopic == null || recordingsTopic.isBlank()) {
            problems.add("recordingsTopic: required");
        } else if (recordingsTopic.equals(eventsTopic)) {
            problems.add("recordingsTopic: must differ from eventsTopic");
        }
        if (keyProfile == null) {
            problems.add("keyProfile: required");
        }
        if (emittedRetention == null || emittedRetention.isNegative()) {
            problems.add("emittedRetention: must be zero or positive");
        }
        if (purgeInterval == null || purgeInterval.isNegative() || purgeInterval.isZero()) {
            problems.add("purgeInterval: must be positive");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid processor configuration: " + String.join("; ", problems));
        }
    }

    public static ProcessorConfig defaults(String eventsTopic, String recordingsTopic) {
        return new ProcessorConfig(eventsTopic, recordingsTopic, FixtureProfile.CURRENT, Duration.ofHours(1),
                Duration.ofMinutes(1));
    }
}
