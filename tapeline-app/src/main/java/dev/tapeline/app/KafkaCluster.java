package dev.tapeline.app;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;

/**
 * What Tapeline needs to know of the cluster it runs on: how many brokers, and the defaults they
 * give a topic created without its own settings.
 *
 * @param brokers                  brokers in the cluster now
 * @param defaultPartitions        {@code num.partitions}
 * @param defaultReplicationFactor {@code default.replication.factor}
 * @param defaultMinInsyncReplicas {@code min.insync.replicas}
 */
public record KafkaCluster(
        int brokers, int defaultPartitions, int defaultReplicationFactor, int defaultMinInsyncReplicas) {

    /** How long the first contact with Kafka may take before a command says it cannot reach it. */
    public static final Duration REACH_TIMEOUT = Duration.ofSeconds(15);

    /**
     * An admin client of the cluster at {@code bootstrapServers}, which has answered: the first
     * contact of every command, so an address that leads nowhere is said at once, naming it.
     *
     * @throws Unavailable where Kafka cannot be reached or refuses the client
     */
    public static Admin connect(Map<String, Object> clientConfig, String bootstrapServers) throws InterruptedException {
        Admin admin;
        try {
            admin = Admin.create(clientConfig);
        } catch (KafkaException e) {
            throw Unavailable.kafka(bootstrapServers, e); // no address resolves, a setting Kafka refuses
        }
        try {
            admin.describeCluster().clusterId().get(REACH_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            return admin;
        } catch (TimeoutException e) {
            admin.close(Duration.ZERO);
            throw Unavailable.kafkaTimeout(bootstrapServers, REACH_TIMEOUT, e);
        } catch (ExecutionException e) {
            admin.close(Duration.ZERO);
            throw Unavailable.kafka(bootstrapServers, e.getCause());
        }
    }

    /** Asks the cluster (one broker's configuration stands for all: they must agree). */
    public static KafkaCluster describe(Admin admin) throws InterruptedException, TimeoutException {
        try {
            Collection<Node> nodes = admin.describeCluster().nodes().get(30, TimeUnit.SECONDS);
            Node any = nodes.iterator().next();
            ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, String.valueOf(any.id()));
            Map<ConfigResource, Config> configs =
                    admin.describeConfigs(List.of(broker)).all().get(30, TimeUnit.SECONDS);
            Config config = configs.get(broker);
            return new KafkaCluster(
                    nodes.size(),
                    intValue(config, "num.partitions", 1),
                    intValue(config, "default.replication.factor", 1),
                    intValue(config, "min.insync.replicas", 1));
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot describe the Kafka cluster: " + e.getCause(), e.getCause());
        }
    }

    private static int intValue(Config config, String name, int fallback) {
        ConfigEntry entry = config.get(name);
        return entry == null || entry.value() == null ? fallback : Integer.parseInt(entry.value());
    }

    /** Replicas a topic gets: the one asked for, or the brokers' default for -1. */
    public int replicasFor(int replicationFactor) {
        return replicationFactor < 0 ? defaultReplicationFactor : replicationFactor;
    }

    /** The processor's standby replicas: one where another broker (and so another machine) can hold a copy. */
    public int defaultStandbyReplicas() {
        return brokers > 1 ? 1 : 0;
    }
}
