package dev.tapeline.app;

import dev.tapeline.schema.Limits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.Uuid;

/**
 * A real Apache Kafka cluster of several KRaft nodes (broker and controller each) on this machine,
 * every node a JVM of its own started from Kafka's {@code kafka.Kafka} main class on Tapeline's
 * classpath, its log directory formatted once by {@code kafka.tools.StorageTool} with one cluster
 * id and a static {@code controller.quorum.voters}. Its brokers give new topics 3 replicas (fewer
 * nodes: as many as there are) and {@code min.insync.replicas=2}, so one node can be lost without
 * losing a write. For trying the production layout without Docker ({@code tapeline cluster}), the
 * scale-out test and the benchmarks; each node's output is in {@code node-<id>.log} under its
 * directory.
 */
public final class LocalCluster implements AutoCloseable {

    private record Node(int id, int port, int controllerPort, Path properties, Path log) {}

    private final List<Node> nodes;
    private final List<String> launcher;
    private final Process[] processes;

    private LocalCluster(List<Node> nodes, List<String> launcher) {
        this.nodes = nodes;
        this.launcher = launcher;
        this.processes = new Process[nodes.size()];
    }

    /** Formats and starts {@code size} nodes under {@code dir}; returns once every broker is in the cluster. */
    public static LocalCluster start(Path dir, int size) throws IOException, InterruptedException {
        return start(dir, size, List.of());
    }

    /**
     * As {@link #start(Path, int)}, each node's JVM started through {@code launcher} (say
     * {@code nice -n 19}: the benchmarks' stand-in for brokers on machines of their own).
     */
    public static LocalCluster start(Path dir, int size, List<String> launcher)
            throws IOException, InterruptedException {
        List<Node> nodes = new ArrayList<>();
        for (int id = 1; id <= size; id++) {
            nodes.add(new Node(
                    id,
                    Ports.free(),
                    Ports.free(),
                    dir.resolve("node-" + id + ".properties"),
                    dir.resolve("node-" + id + ".log")));
        }
        String voters = nodes.stream()
                .map(n -> n.id() + "@127.0.0.1:" + n.controllerPort())
                .collect(Collectors.joining(","));
        for (Node node : nodes) {
            Files.writeString(
                    node.properties(),
                    String.join(
                            "\n",
                            "process.roles=broker,controller",
                            "node.id=" + node.id(),
                            "listeners=PLAINTEXT://127.0.0.1:" + node.port() + ",CONTROLLER://127.0.0.1:"
                                    + node.controllerPort(),
                            "advertised.listeners=PLAINTEXT://127.0.0.1:" + node.port(),
                            "controller.listener.names=CONTROLLER",
                            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                            "inter.broker.listener.name=PLAINTEXT",
                            "controller.quorum.voters=" + voters,
                            "log.dirs=" + dir.resolve("data-" + node.id()),
                            "num.partitions=6",
                            "default.replication.factor=" + Math.min(3, size),
                            "min.insync.replicas=" + Math.min(2, size),
                            "offsets.topic.replication.factor=" + Math.min(3, size),
                            "transaction.state.log.replication.factor=" + Math.min(3, size),
                            "transaction.state.log.min.isr=" + Math.min(2, size),
                            "group.initial.rebalance.delay.ms=0",
                            // records up to Tapeline's limit
                            "message.max.bytes=" + Limits.MAX_RECORD_BYTES,
                            "replica.fetch.max.bytes=" + Limits.MAX_RECORD_BYTES,
                            ""));
        }
        String clusterId = Uuid.randomUuid().toString();
        for (Node node : nodes) {
            Process format = new ProcessBuilder(java(
                            "kafka.tools.StorageTool",
                            "format",
                            "-t",
                            clusterId,
                            "-c",
                            node.properties().toString()))
                    .redirectErrorStream(true)
                    .redirectOutput(node.log().toFile())
                    .start();
            if (!format.waitFor(60, TimeUnit.SECONDS) || format.exitValue() != 0) {
                throw new IllegalStateException(
                        "formatting node " + node.id() + " failed: " + Files.readString(node.log()));
            }
        }
        LocalCluster cluster = new LocalCluster(nodes, launcher);
        try {
            for (int i = 0; i < size; i++) {
                cluster.startNode(i);
            }
            cluster.awaitBrokers(size);
        } catch (IOException | InterruptedException | RuntimeException | Error e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    private static List<String> java(String mainClass, String... args) {
        return JavaCommand.of(List.of("-Xmx512m"), mainClass, List.of(args));
    }

    private void startNode(int index) throws IOException {
        Node node = nodes.get(index);
        List<String> command = new ArrayList<>(launcher);
        command.addAll(java("kafka.Kafka", node.properties().toString()));
        processes[index] = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(node.log().toFile()))
                .start();
    }

    public String bootstrapServers() {
        return nodes.stream().map(n -> "127.0.0.1:" + n.port()).collect(Collectors.joining(","));
    }

    /** CPU time the nodes have used so far (all of them, as the OS counts it). */
    public Duration cpuTime() {
        return Arrays.stream(processes)
                .filter(Objects::nonNull)
                .map(process -> process.info().totalCpuDuration().orElse(Duration.ZERO))
                .reduce(Duration.ZERO, Duration::plus);
    }

    public int size() {
        return nodes.size();
    }

    /** Kills node {@code id} (1-based) with SIGKILL: no shutdown, no leadership handed over. */
    public void kill(int id) throws InterruptedException {
        Process process = processes[id - 1];
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** Starts node {@code id} again on its data; returns once it is back in the cluster. */
    public void restart(int id) throws IOException, InterruptedException {
        startNode(id - 1);
        awaitBrokers(nodes.size());
    }

    private void awaitBrokers(int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        String last = "no answer yet";
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers()))) {
            while (System.nanoTime() < deadline) {
                try {
                    int up = admin.describeCluster()
                            .nodes()
                            .get(5, TimeUnit.SECONDS)
                            .size();
                    if (up == count) {
                        return;
                    }
                    last = up + " of " + count + " brokers up";
                } catch (ExecutionException | TimeoutException e) {
                    last = e.toString();
                }
                Thread.sleep(200);
            }
        }
        throw new IllegalStateException("the cluster did not form within 2 minutes (" + last + "); see node-*.log");
    }

    @Override
    public void close() {
        IntStream.range(0, processes.length).filter(i -> processes[i] != null).forEach(i -> {
            processes[i].destroyForcibly();
            try {
                processes[i].waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }
}
