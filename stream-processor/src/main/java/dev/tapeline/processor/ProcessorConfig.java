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
 * @param deadLettersTopic exchanges the processor fails to assemble (a bug): their request event,
 *                         the error in the headers
 * @param keyProfile       the hashing rules of the fixture key
 * @param emittedRetention how long an emitted exchange is remembered, so late duplicates are dropped
 * @param purgeInterval    how often the forgotten ones are purged and idle ones looked for (wall clock)
 * @param idleTimeout      an exchange without an event for this long (client gone, upstream stalled,
 *                         agent died) is emitted as an INCOMPLETE recording with the reason
 * @param maxRecordingBytes a recording larger than this (the recordings topic's message limit) is
 *                         emitted as a FAILED stub with the reason instead of failing the producer
 */
public record ProcessorConfig(String eventsTopic, String recordingsTopic, String deadLettersTopic, FixtureProfile keyProfile,
        Duration emittedRetention, Duration purgeInterval, Duration idleTimeout, long maxRecordingBytes) {

    public static final String EXCHANGE_STORE = "exchange-state-store";
    public static final String CHUNK_STORE = "exchange-chunk-store";
    public static final String REQUEST_STORE = "exchange-request-store";

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
        if (deadLettersTopic == null || deadLettersTopic.isBlank()) {
            problems.add("deadLettersTopic: required");
        } else if (deadLettersTopic.equals(eventsTopic) || deadLettersTopic.equals(recordingsTopic)) {
            problems.add("deadLettersTopic: must differ from eventsTopic and recordingsTopic");
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
        if (idleTimeout == null || idleTimeout.isNegative() || idleTimeout.isZero()) {
            problems.add("idleTimeout: must be positive");
        }
        if (maxRecordingBytes < 1024 * 1024) {
            problems.add("maxRecordingBytes: at least 1 MB, got " + maxRecordingBytes);
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid processor configuration: " + String.join("; ", problems));
        }
    }
}
