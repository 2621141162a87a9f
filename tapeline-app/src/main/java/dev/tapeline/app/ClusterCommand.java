package dev.tapeline.app;

import dev.tapeline.schema.registry.InMemorySchemaRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A local multi-node Kafka cluster, each node its own JVM, and a schema registry beside it, for
 * trying Tapeline's production layout (parts apart, replicated topics, one registry) on one
 * machine without Docker.
 */
@Command(
        name = "cluster",
        mixinStandardHelpOptions = true,
        description = "Start a local Apache Kafka cluster of several KRaft nodes, each its own JVM, and Tapeline's"
                + " development schema registry (for trying the production layout without Docker); Ctrl-C stops it.")
public final class ClusterCommand implements Callable<Integer> {

    @Option(
            names = "--nodes",
            defaultValue = "3",
            description = "Nodes, each broker and controller (default: ${DEFAULT-VALUE}).")
    int nodes;

    @Option(
            names = "--data-dir",
            defaultValue = ".tapeline-cluster",
            description = "The nodes' logs and data, a fresh cluster each start (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(
            names = "--registry-port",
            defaultValue = "18081",
            description = "Port of the schema registry (default: ${DEFAULT-VALUE}); -1: none (bring your own).")
    int registryPort;

    @Override
    public Integer call() throws Exception {
        if (nodes < 1 || nodes > 9) {
            throw new IllegalArgumentException("--nodes: must be 1..9, got " + nodes);
        }
        Path dir = Files.createDirectories(dataDir).resolve("cluster-" + System.currentTimeMillis());
        CountDownLatch stop = new CountDownLatch(1);
        try (LocalCluster cluster = LocalCluster.start(Files.createDirectories(dir), nodes);
                EmbeddedSchemaRegistry registry = registryPort < 0
                        ? null
                        : EmbeddedSchemaRegistry.start(
                                registryPort, new InMemorySchemaRegistry(dir.resolve("schemas.jsonl")))) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                cluster.close();
                stop.countDown();
            }));
            System.out.println("Kafka cluster of " + nodes + " nodes ready");
            System.out.println("  Bootstrap servers: " + cluster.bootstrapServers());
            if (registry != null) {
                System.out.println("  Schema registry:   " + registry.url());
            }
            System.out.println("  Node logs:         " + dir.toAbsolutePath());
            System.out.println("Ctrl-C stops it");
            stop.await();
        }
        return 0;
    }
}
