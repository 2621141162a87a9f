package dev.tapeline.app.containers;

import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import dev.tapeline.app.TestInfra;
import dev.tapeline.schema.Limits;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.common.Uuid;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * The integration tests' Kafka and registry as containers ({@code -Ptestcontainers}): Apache
 * Kafka's own image, one KRaft node (broker and controller) per container on one network, each
 * client listener bound to a fixed free host port so a node killed and started again is found
 * where it was; Apicurio Registry's image for the Confluent-compatible API.
 */
public final class ContainersInfra implements TestInfra {

    static final DockerImageName KAFKA = DockerImageName.parse("apache/kafka:4.4.0");
    static final DockerImageName APICURIO = DockerImageName.parse("apicurio/apicurio-registry:3.3.3");

    @Override
    public String unavailable() {
        return DockerClientFactory.instance().isDockerAvailable()
                ? null
                : "no Docker engine here: the Testcontainers variant (-Ptestcontainers) is skipped; the default build"
                        + " runs the same tests on broker JVMs of this machine";
    }

    @Override
    public Cluster cluster(Path dir, int nodes) {
        Network network = Network.newNetwork();
        List<GenericContainer<?>> containers = new ArrayList<>();
        List<Integer> hostPorts = new ArrayList<>();
        String voters = IntStream.rangeClosed(1, nodes)
                .mapToObj(id -> id + "@kafka-" + id + ":9093")
                .collect(Collectors.joining(","));
        String clusterId = Uuid.randomUuid().toString();
        for (int id = 1; id <= nodes; id++) {
            int hostPort = freePort();
            hostPorts.add(hostPort);
            int replicas = Math.min(3, nodes);
            GenericContainer<?> node = new GenericContainer<>(KAFKA)
                    .withNetwork(network)
                    .withNetworkAliases("kafka-" + id)
                    .withExposedPorts(9094)
                    .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig()
                            .withPortBindings(new PortBinding(Ports.Binding.bindPort(hostPort), ExposedPort.tcp(9094))))
                    .withEnv("CLUSTER_ID", clusterId)
                    .withEnv("KAFKA_NODE_ID", String.valueOf(id))
                    .withEnv("KAFKA_PROCESS_ROLES", "broker,controller")
                    .withEnv("KAFKA_CONTROLLER_QUORUM_VOTERS", voters)
                    .withEnv("KAFKA_LISTENERS", "INTERNAL://:9092,CONTROLLER://:9093,EXTERNAL://:9094")
                    .withEnv(
                            "KAFKA_ADVERTISED_LISTENERS",
                            "INTERNAL://kafka-" + id + ":9092,EXTERNAL://localhost:" + hostPort)
                    .withEnv(
                            "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP",
                            "INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT,EXTERNAL:PLAINTEXT")
                    .withEnv("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER")
                    .withEnv("KAFKA_INTER_BROKER_LISTENER_NAME", "INTERNAL")
                    .withEnv("KAFKA_NUM_PARTITIONS", "6")
                    .withEnv("KAFKA_DEFAULT_REPLICATION_FACTOR", String.valueOf(replicas))
                    .withEnv("KAFKA_MIN_INSYNC_REPLICAS", String.valueOf(Math.min(2, nodes)))
                    .withEnv("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", String.valueOf(replicas))
                    .withEnv("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", String.valueOf(replicas))
                    .withEnv("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", String.valueOf(Math.min(2, nodes)))
                    .withEnv("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0")
                    .withEnv("KAFKA_MESSAGE_MAX_BYTES", String.valueOf(Limits.MAX_RECORD_BYTES))
                    .withEnv("KAFKA_REPLICA_FETCH_MAX_BYTES", String.valueOf(Limits.MAX_RECORD_BYTES))
                    // a node waits for its voters: readiness is the cluster's, checked below
                    .waitingFor(Wait.forListeningPorts(9094).withStartupTimeout(Duration.ofMinutes(3)));
            containers.add(node);
        }
        containers.parallelStream().forEach(GenericContainer::start);
        String bootstrap = hostPorts.stream().map(port -> "localhost:" + port).collect(Collectors.joining(","));
        return new Cluster() {
            @Override
            public String bootstrapServers() {
                return bootstrap;
            }

            @Override
            public void kill(int node) {
                String id = containers.get(node - 1).getContainerId();
                DockerClientFactory.instance().client().killContainerCmd(id).exec();
            }

            @Override
            public void restart(int node) {
                // the same container again: its data, its fixed host port
                String id = containers.get(node - 1).getContainerId();
                DockerClientFactory.instance().client().startContainerCmd(id).exec();
            }

            @Override
            public void close() {
                containers.forEach(GenericContainer::stop);
                network.close();
            }
        };
    }

    @Override
    public Registry registry() {
        GenericContainer<?> apicurio = new GenericContainer<>(APICURIO)
                .withExposedPorts(8080)
                .withEnv("APICURIO_RULES_GLOBAL_COMPATIBILITY", "BACKWARD")
                .waitingFor(Wait.forHttp("/apis/ccompat/v7/subjects")
                        .forStatusCode(200)
                        .withStartupTimeout(Duration.ofMinutes(3)));
        apicurio.start();
        String url = "http://" + apicurio.getHost() + ":" + apicurio.getMappedPort(8080) + "/apis/ccompat/v7";
        return new Registry() {
            @Override
            public String url() {
                return url;
            }

            @Override
            public void close() {
                apicurio.stop();
            }
        };
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port", e);
        }
    }
}
