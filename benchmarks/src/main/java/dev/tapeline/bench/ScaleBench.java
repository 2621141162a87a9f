package dev.tapeline.bench;

import dev.tapeline.app.EmbeddedSchemaRegistry;
import dev.tapeline.app.KafkaCluster;
import dev.tapeline.app.LocalCluster;
import dev.tapeline.app.Topics;
import dev.tapeline.app.cli.TapelineCli;
import dev.tapeline.schema.registry.RegistryConfig;
import dev.tapeline.schema.registry.RestSchemaRegistryClient;
import dev.tapeline.settings.SettingValues;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;

/**
 * Processors scaled out: {@code tapeline run --components PROCESSOR} in 1, then 2, JVMs of their
 * own on a 3-node cluster (each node its own JVM, topics with 3 replicas, as production runs),
 * fed the same capture events; events per second from the first event written until every offset
 * is committed. A fresh cluster per run, and the processors in their group before the first
 * event, so no rebalance falls inside the measurement.
 */
final class ScaleBench {

    /** One run. */
    record Run(
            int processors,
            int standbyReplicas,
            long exchanges,
            long events,
            double seconds,
            double brokerCpu,
            double processorCpu) {
        double eventsPerSecond() {
            return events / seconds;
        }
    }

    private static final String EVENTS = dev.tapeline.app.Topics.EVENTS;
    private static final String PROCESSOR_GROUP = "tapeline-processor";

    private ScaleBench() {}

    /** Processor JVMs and their {@code --standby-replicas} (-1: Tapeline's default, 1 on this cluster). */
    record Setup(int processors, int standbyReplicas) {}

    static List<Run> run(Path work, long totalChunks, List<Setup> setups) throws Exception {
        List<Run> runs = new ArrayList<>();
        for (Setup setup : setups) {
            runs.add(measure(
                    Files.createDirectories(
                            work.resolve(setup.processors() + "-processors-" + setup.standbyReplicas() + "-standby")),
                    setup,
                    totalChunks));
        }
        return runs;
    }

    private static Run measure(Path dir, Setup setup, long totalChunks) throws Exception {
        int processors = setup.processors();
        try (LocalCluster kafka = LocalCluster.start(Files.createDirectories(dir.resolve("kafka")), 3);
                EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.start(0);
                Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            Topics.of(SettingValues.DEFAULTS).ensure(admin, KafkaCluster.describe(admin));
            List<Process> started = new ArrayList<>();
            try {
                for (int i = 1; i <= processors; i++) {
                    started.add(processor(
                            dir.resolve("processor-" + i),
                            kafka.bootstrapServers(),
                            registry.url(),
                            setup.standbyReplicas()));
                }
                awaitGroup(admin, processors, started);
                long begin = System.nanoTime();
                Duration brokerCpu = kafka.cpuTime();
                Duration processorCpu = cpuTime(started);
                PipelineBench.fill(
                        kafka.bootstrapServers(),
                        new RestSchemaRegistryClient(RegistryConfig.of(registry.url())),
                        EVENTS,
                        20,
                        totalChunks);
                Map<TopicPartition, Long> end = endOffsets(admin);
                awaitCommitted(admin, end, started);
                double seconds = (System.nanoTime() - begin) / 1e9;
                long events = end.values().stream().mapToLong(Long::longValue).sum();
                Run run = new Run(
                        processors,
                        setup.standbyReplicas(),
                        totalChunks / 20,
                        events,
                        seconds,
                        kafka.cpuTime().minus(brokerCpu).toMillis() / 1e3,
                        cpuTime(started).minus(processorCpu).toMillis() / 1e3);
                System.out.printf(
                        Locale.ROOT,
                        "%d processor JVM(s), standby %d: %,d events in %.2f s = %,.0f events/s; CPU s: brokers %.1f, processors %.1f%n",
                        processors,
                        setup.standbyReplicas(),
                        events,
                        seconds,
                        run.eventsPerSecond(),
                        run.brokerCpu(),
                        run.processorCpu());
                return run;
            } finally {
                for (Process process : started) {
                    process.destroy();
                }
                for (Process process : started) {
                    if (!process.waitFor(60, TimeUnit.SECONDS)) {
                        process.destroyForcibly();
                    }
                }
            }
        }
    }

    private static Duration cpuTime(List<Process> processes) {
        return processes.stream()
                .map(process -> Targets.cpu(process.toHandle()))
                .reduce(Duration.ZERO, Duration::plus);
    }

    private static Process processor(Path dir, String bootstrap, String registryUrl, int standbyReplicas)
            throws IOException {
        Files.createDirectories(dir);
        List<String> command = dev.tapeline.app.JavaCommand.of(
                List.of("-Xmx768m"),
                TapelineCli.class.getName(),
                List.of(
                        "run",
                        "--components",
                        "PROCESSOR",
                        "--bootstrap-servers",
                        bootstrap,
                        "--schema-registry-url",
                        registryUrl,
                        "--data-dir",
                        dir.toString(),
                        "--metrics-port",
                        "0",
                        "--standby-replicas",
                        String.valueOf(standbyReplicas)));
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("output.log").toFile())
                .start();
    }

    /** Waits until the processors' group is stable with all of them in it. */
    private static void awaitGroup(Admin admin, int members, List<Process> processes) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (true) {
            String state = "no group yet";
            try {
                ConsumerGroupDescription group = admin.describeConsumerGroups(List.of(PROCESSOR_GROUP))
                        .describedGroups()
                        .get(PROCESSOR_GROUP)
                        .get();
                if (group.groupState() == GroupState.STABLE && group.members().size() == members) {
                    return;
                }
                state = group.groupState() + ", " + group.members().size() + " of " + members + " members";
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof GroupIdNotFoundException)) {
                    throw e;
                }
            }
            check(processes, deadline, "the processors did not join their group (" + state + ")");
            Thread.sleep(100);
        }
    }

    private static Map<TopicPartition, Long> endOffsets(Admin admin) throws Exception {
        int partitions = admin.describeTopics(List.of(EVENTS))
                .allTopicNames()
                .get()
                .get(EVENTS)
                .partitions()
                .size();
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
            latest.put(new TopicPartition(EVENTS, p), OffsetSpec.latest());
        }
        return admin.listOffsets(latest).all().get().entrySet().stream()
                .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
    }

    private static void awaitCommitted(Admin admin, Map<TopicPartition, Long> end, List<Process> processes)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        while (true) {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(PROCESSOR_GROUP)
                    .partitionsToOffsetAndMetadata()
                    .get();
            if (end.entrySet().stream()
                    .allMatch(e -> committed.get(e.getKey()) != null
                            && committed.get(e.getKey()).offset() >= e.getValue())) {
                return;
            }
            check(processes, deadline, "the processors did not commit every event within 10 minutes");
            Thread.sleep(20);
        }
    }

    private static void check(List<Process> processes, long deadline, String timeout) {
        if (processes.stream().anyMatch(p -> !p.isAlive())) {
            throw new IllegalStateException("a processor JVM exited; see its output.log");
        }
        if (System.nanoTime() > deadline) {
            throw new IllegalStateException(timeout);
        }
    }
}
