package dev.tapeline.processor;

import dev.tapeline.fixture.FixtureProfile;
import dev.tapeline.settings.Setting;
import dev.tapeline.settings.SettingValues;
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
public record ProcessorConfig(
        String eventsTopic,
        String recordingsTopic,
        String deadLettersTopic,
        FixtureProfile keyProfile,
        Duration emittedRetention,
        Duration purgeInterval,
        Duration idleTimeout,
        long maxRecordingBytes) {

    public static final Setting<Duration> IDLE_TIMEOUT = Setting.positiveDuration(
            "idle-timeout",
            Duration.ofMinutes(10),
            "An exchange without an event this long (agent died, events lost) is recorded as INCOMPLETE with the reason;"
                    + " longer than every upstream timeout.");
    public static final Setting<Duration> EMITTED_RETENTION = Setting.duration(
            "emitted-retention",
            Duration.ofHours(1),
            "How long an emitted exchange is remembered, so late duplicates of its events are dropped.");
    public static final Setting<Duration> PURGE_INTERVAL = Setting.positiveDuration(
            "purge-interval",
            Duration.ofMinutes(1),
            "How often emitted exchanges past their retention are forgotten and idle ones looked for (wall clock).");
    public static final Setting<Long> STANDBY_REPLICAS = Setting.number(
            "standby-replicas",
            -1,
            -1,
            16,
            "Warm copies of each processor task's state on other processors (num.standby.replicas), so a processor"
                    + " that dies is taken over at once; -1: 1 on a cluster of several brokers, else 0.");
    /** What the command line offers; the others keep their defaults. */
    public static final List<Setting<?>> OPTIONS = List.of(IDLE_TIMEOUT, STANDBY_REPLICAS);

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
        EMITTED_RETENTION.check(emittedRetention, problems);
        PURGE_INTERVAL.check(purgeInterval, problems);
        IDLE_TIMEOUT.check(idleTimeout, problems);
        if (maxRecordingBytes < 1024 * 1024) {
            problems.add("maxRecordingBytes: at least 1 MB, got " + maxRecordingBytes);
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid processor configuration: " + String.join("; ", problems));
        }
    }

    /** The processor as Tapeline runs it: today's keys, the given settings, the rest at their defaults. */
    public static ProcessorConfig of(
            String eventsTopic, String recordingsTopic, String deadLettersTopic, SettingValues settings) {
        return new ProcessorConfig(
                eventsTopic,
                recordingsTopic,
                deadLettersTopic,
                FixtureProfile.CURRENT,
                settings.get(EMITTED_RETENTION),
                settings.get(PURGE_INTERVAL),
                settings.get(IDLE_TIMEOUT),
                dev.tapeline.schema.Limits.MAX_RECORD_BYTES);
    }
}
