package dev.tapeline.app;

import dev.tapeline.schema.Limits;
import dev.tapeline.settings.Setting;
import dev.tapeline.settings.SettingValues;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The topics Tapeline owns, made to fit the cluster they are on.
 *
 * @param events            capture events: one per request, chunk and outcome; key = completion id
 * @param recordings        finished recordings: compacted, key = fixture key
 * @param deadLetters       records the processor or the sink cannot handle, as they were, the error in headers
 * @param partitions        partitions of each on create; -1: the brokers' {@code num.partitions}
 * @param replicationFactor replicas of each (and of the processor's internal topics); -1: the brokers' default
 * @param minInsyncReplicas {@code min.insync.replicas} of each on create; -1: the brokers' default
 */
public record Topics(
        String events,
        String recordings,
        String deadLetters,
        int partitions,
        int replicationFactor,
        int minInsyncReplicas) {

    private static final Logger LOG = LoggerFactory.getLogger(Topics.class);

    public static final Setting<Long> PARTITIONS = Setting.number(
            "partitions",
            -1,
            -1,
            100_000,
            "Partitions of each Tapeline topic when Tapeline creates it; -1: the brokers' num.partitions. An existing"
                    + " topic with another count is refused (keys would move).");
    public static final Setting<Long> REPLICATION_FACTOR = Setting.number(
            "replication-factor",
            -1,
            -1,
            Short.MAX_VALUE,
            "Replicas of each Tapeline topic and of the processor's internal topics when created; -1: the brokers'"
                    + " default.replication.factor. On a cluster of several brokers, 1 must be asked for explicitly.");
    public static final Setting<Long> MIN_INSYNC_REPLICAS = Setting.number(
            "min-insync-replicas",
            -1,
            -1,
            Short.MAX_VALUE,
            "min.insync.replicas of each Tapeline topic when created; -1: the brokers' default.");
    /** What the command line offers. */
    public static final List<Setting<?>> OPTIONS = List.of(PARTITIONS, REPLICATION_FACTOR, MIN_INSYNC_REPLICAS);

    /** The capture events' topic; a compile-time constant, for the commands' defaults too. */
    public static final String EVENTS = "tapeline.capture.events";
    /** The recordings' topic. */
    public static final String RECORDINGS = "tapeline.recordings";
    /** The dead letters' topic. */
    public static final String DEAD_LETTERS = "tapeline.dead-letters";
    /** What replaying agents answered, one event per request; key = run id. */
    public static final String REPLAY_EVENTS = "tapeline.replay.events";

    /** Tapeline's topic names, laid out as the settings say. */
    public static Topics of(SettingValues settings) {
        return new Topics(
                EVENTS,
                RECORDINGS,
                DEAD_LETTERS,
                settings.get(PARTITIONS).intValue(),
                settings.get(REPLICATION_FACTOR).intValue(),
                settings.get(MIN_INSYNC_REPLICAS).intValue());
    }

    /** The same with another recordings topic. */
    public Topics withRecordings(String topic) {
        return new Topics(events, topic, deadLetters, partitions, replicationFactor, minInsyncReplicas);
    }

    /**
     * Creates the topics that do not exist yet and checks those that do. Every misfit is named in
     * one {@link IllegalStateException}; what is only a risk (fewer replicas than asked) is logged
     * as a warning and returned.
     */
    public List<String> ensure(Admin admin, KafkaCluster cluster) throws InterruptedException, TimeoutException {
        return ensure(
                admin,
                cluster,
                List.of(
                        eventsTopic(),
                        recordingsTopic(),
                        deadLettersTopic(),
                        newTopic(REPLAY_EVENTS, TopicConfig.CLEANUP_POLICY_DELETE, TimeUnit.DAYS.toMillis(30))));
    }

    /** Creates (or checks) the recordings topic only. */
    public List<String> ensureRecordings(Admin admin, KafkaCluster cluster)
            throws InterruptedException, TimeoutException {
        return ensure(admin, cluster, List.of(recordingsTopic()));
    }

    private List<String> ensure(Admin admin, KafkaCluster cluster, List<NewTopic> wanted)
            throws InterruptedException, TimeoutException {
        List<String> problems = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        int replicas = cluster.replicasFor(replicationFactor);
        if (replicas == 1 && cluster.brokers() > 1 && replicationFactor != 1) {
            problems.add("replication-factor: the brokers' default.replication.factor is 1, so Tapeline's topics would"
                    + " get 1 replica on a cluster of " + cluster.brokers()
                    + " brokers and losing one broker would lose"
                    + " captured traffic; pass --replication-factor " + Math.min(3, cluster.brokers())
                    + " (or --replication-factor 1 to accept that)");
        }
        if (problems.isEmpty()) {
            for (NewTopic topic : wanted) {
                try {
                    admin.createTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
                    LOG.info("created topic {} ({} replicas)", topic.name(), replicas);
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof InvalidReplicationFactorException) {
                        // only a topic to create needs them all: a running cluster missing a broker still serves
                        problems.add(topic.name() + ": cannot be created with " + replicas + " replicas while "
                                + cluster.brokers() + " broker(s) are up ("
                                + e.getCause().getMessage() + ")");
                    } else if (e.getCause() instanceof TopicExistsException) {
                        check(admin, cluster, topic, replicas, problems, warnings);
                    } else {
                        throw new IllegalStateException(
                                "cannot create topic " + topic.name() + ": " + e.getCause(), e.getCause());
                    }
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException("Tapeline's topics do not fit: " + String.join("; ", problems));
        }
        warnings.forEach(LOG::warn);
        return warnings;
    }

    /** An existing topic against what Tapeline needs of it. */
    private void check(
            Admin admin,
            KafkaCluster cluster,
            NewTopic wanted,
            int replicas,
            List<String> problems,
            List<String> warnings)
            throws InterruptedException, TimeoutException {
        TopicDescription description;
        Config config;
        try {
            description = admin.describeTopics(List.of(wanted.name()))
                    .allTopicNames()
                    .get(30, TimeUnit.SECONDS)
                    .get(wanted.name());
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, wanted.name());
            config = admin.describeConfigs(List.of(resource))
                    .all()
                    .get(30, TimeUnit.SECONDS)
                    .get(resource);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return; // deleted meanwhile: the next start creates it
            }
            throw new IllegalStateException(
                    "cannot describe topic " + wanted.name() + ": " + e.getCause(), e.getCause());
        }
        int actualPartitions = description.partitions().size();
        int actualReplicas = description.partitions().get(0).replicas().size();
        if (partitions > 0 && actualPartitions != partitions) {
            problems.add(wanted.name() + ": has " + actualPartitions + " partitions, --partitions says " + partitions
                    + " (partitions cannot be taken away, and keys would move to other partitions)");
        }
        if (actualReplicas < replicas) {
            warnings.add(wanted.name() + ": has " + actualReplicas + " replica(s), fewer than the " + replicas
                    + " asked for; losing a broker can lose its records (kafka-reassign-partitions can add replicas)");
        } else if (actualReplicas == 1 && cluster.brokers() > 1) {
            warnings.add(wanted.name() + ": has 1 replica on a cluster of " + cluster.brokers()
                    + " brokers; losing its broker loses its records");
        }
        String wantedPolicy = wanted.configs().get(TopicConfig.CLEANUP_POLICY_CONFIG);
        String policy = config.get(TopicConfig.CLEANUP_POLICY_CONFIG).value();
        if (wantedPolicy.equals(TopicConfig.CLEANUP_POLICY_COMPACT)
                && !policy.contains(TopicConfig.CLEANUP_POLICY_COMPACT)) {
            problems.add(wanted.name() + ": cleanup.policy is " + policy + "; the recordings topic must be compacted"
                    + " (one record per fixture key, tombstones delete)");
        } else if (wantedPolicy.equals(TopicConfig.CLEANUP_POLICY_DELETE)
                && policy.contains(TopicConfig.CLEANUP_POLICY_COMPACT)) {
            problems.add(wanted.name() + ": cleanup.policy is " + policy + "; compaction would drop events of the"
                    + " same exchange (they share a key)");
        }
        long maxMessageBytes =
                Long.parseLong(config.get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG).value());
        if (maxMessageBytes < Limits.MAX_RECORD_BYTES) {
            problems.add(wanted.name() + ": max.message.bytes is " + maxMessageBytes + ", below the "
                    + Limits.MAX_RECORD_BYTES + " bytes a recording (or a request event) may take");
        }
    }

    private NewTopic eventsTopic() {
        return newTopic(events, TopicConfig.CLEANUP_POLICY_DELETE, TimeUnit.DAYS.toMillis(7));
    }

    private NewTopic recordingsTopic() {
        return newTopic(recordings, TopicConfig.CLEANUP_POLICY_COMPACT, -1);
    }

    private NewTopic deadLettersTopic() {
        return newTopic(deadLetters, TopicConfig.CLEANUP_POLICY_DELETE, TimeUnit.DAYS.toMillis(30));
    }

    private NewTopic newTopic(String name, String cleanupPolicy, long retentionMs) {
        Map<String, String> configs = new HashMap<>();
        configs.put(TopicConfig.CLEANUP_POLICY_CONFIG, cleanupPolicy);
        configs.put(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(Limits.MAX_RECORD_BYTES));
        if (retentionMs > 0) {
            configs.put(TopicConfig.RETENTION_MS_CONFIG, String.valueOf(retentionMs));
        }
        if (minInsyncReplicas > 0) {
            configs.put(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, String.valueOf(minInsyncReplicas));
        }
        return new NewTopic(
                        name,
                        partitions > 0 ? Optional.of(partitions) : Optional.empty(),
                        replicationFactor > 0 ? Optional.of((short) replicationFactor) : Optional.empty())
                .configs(configs);
    }
}
