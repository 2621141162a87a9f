package dev.tapeline.app;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * The topics Tapeline owns.
 *
 * @param events     capture events: one per request, chunk and outcome; key = completion id
 * @param recordings finished recordings: compacted, key = fixture key
 * @param deadLetters records the processor or the sink cannot read, as they were, the error in headers
 * @param partitions partitions of each
 * @param replicationFactor replicas of each (1 on a single broker)
 */
public record Topics(String events, String recordings, String deadLetters, int partitions, short replicationFactor) {

    public static Topics defaults(int partitions, short replicationFactor) {
        return new Topics(
                "tapeline.capture.events",
                "tapeline.recordings",
                "tapeline.dead-letters",
                partitions,
                replicationFactor);
    }

    /** The same with another recordings topic. */
    public Topics withRecordings(String topic) {
        return new Topics(events, topic, deadLetters, partitions, replicationFactor);
    }

    /** Creates the topics that do not exist yet; existing ones are left as they are. */
    public void ensure(Admin admin) throws InterruptedException, TimeoutException {
        create(
                admin,
                List.of(
                        new NewTopic(events, partitions, replicationFactor)
                                .configs(Map.of(
                                        TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE,
                                        TopicConfig.RETENTION_MS_CONFIG, String.valueOf(TimeUnit.DAYS.toMillis(7)),
                                        TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                                                String.valueOf(dev.tapeline.schema.Limits.MAX_RECORD_BYTES))),
                        recordingsTopic(),
                        new NewTopic(deadLetters, partitions, replicationFactor)
                                .configs(Map.of(
                                        TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE,
                                        TopicConfig.RETENTION_MS_CONFIG, String.valueOf(TimeUnit.DAYS.toMillis(30)),
                                        TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                                                String.valueOf(dev.tapeline.schema.Limits.MAX_RECORD_BYTES)))));
    }

    /** Creates the recordings topic if it does not exist yet. */
    public void ensureRecordings(Admin admin) throws InterruptedException, TimeoutException {
        create(admin, List.of(recordingsTopic()));
    }

    private NewTopic recordingsTopic() {
        return new NewTopic(recordings, partitions, replicationFactor)
                .configs(Map.of(
                        TopicConfig.CLEANUP_POLICY_CONFIG,
                        TopicConfig.CLEANUP_POLICY_COMPACT,
                        TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                        String.valueOf(dev.tapeline.schema.Limits.MAX_RECORD_BYTES)));
    }

    private static void create(Admin admin, List<NewTopic> wanted) throws InterruptedException, TimeoutException {
        for (NewTopic topic : wanted) {
            try {
                admin.createTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException(
                            "cannot create topic " + topic.name() + ": " + e.getCause(), e.getCause());
                }
            }
        }
    }
}
