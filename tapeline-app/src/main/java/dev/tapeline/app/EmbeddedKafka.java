package dev.tapeline.app;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka (KRaft, combined broker and controller) in this JVM, with the
 * production server classes and a persistent log directory: formatted once, reused on restart.
 * Internal topics are set to replication factor 1 and min ISR 1, which a single node needs for
 * consumer groups and transactions to work.
 *
 * <p>A broker whose only log directory fails (the disk full, read-only) halts its process: Kafka's
 * rule for a broker of its own, but here the process is the whole of Tapeline, clients and all.
 * So while an embedded broker runs, Kafka's halt goes through {@link #halting}: where the data
 * directory of an embedded broker cannot be written, that broker is stopped instead of the JVM,
 * and started again on the same ports and data once the directory takes writes (every client of
 * it reconnects by itself); any other halt halts, as Kafka meant.
 */
public final class EmbeddedKafka implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);
    private static final String CONTROLLER = "CONTROLLER";

    /** How often a stopped broker's data directory is tried before it starts again. */
    static final Duration RECOVERY_PROBE_EVERY = Duration.ofSeconds(1);

    /** The embedded brokers of this JVM, for {@link #halting}. */
    private static final java.util.Set<EmbeddedKafka> RUNNING = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private static final java.util.concurrent.atomic.AtomicBoolean HALTS_GUARDED =
            new java.util.concurrent.atomic.AtomicBoolean();

    private volatile KafkaRaftServer server;
    private final String bootstrapServers;
    private final Path logDir;
    private final KafkaConfig config;
    private final Map<String, Object> clientConfig;
    /** Why the broker is stopped while its data directory cannot be written; null while it runs. */
    private volatile String stopped;

    private volatile Thread recovery;
    private volatile boolean closed;

    private EmbeddedKafka(
            KafkaRaftServer server,
            String bootstrapServers,
            Path logDir,
            KafkaConfig config,
            Map<String, Object> clientConfig) {
        this.server = server;
        this.bootstrapServers = bootstrapServers;
        this.logDir = logDir;
        this.config = config;
        this.clientConfig = clientConfig;
    }

    /** Routes Kafka's halt through {@link #halting}, once per JVM. */
    private static void guardHalts() {
        if (HALTS_GUARDED.compareAndSet(false, true)) {
            org.apache.kafka.common.utils.internals.Exit.setHaltProcedure(EmbeddedKafka::halting);
        }
    }

    /**
     * Kafka halts the process: an embedded broker whose data directory cannot be written is stopped
     * and recovered instead; where none is, the JVM halts with Kafka's status.
     */
    static void halting(int status, String message) {
        boolean recovering = false;
        for (EmbeddedKafka kafka : RUNNING) {
            String problem = kafka.dataDirProblem();
            if (problem != null) {
                kafka.recover(problem);
                recovering = true;
            }
        }
        if (!recovering) {
            LOG.error("Kafka halts the process (status {}{})", status, message == null ? "" : ": " + message);
            Runtime.getRuntime().halt(status);
        }
    }

    /** Null while the data directory takes a write (a small file written, forced and removed), else why not. */
    String dataDirProblem() {
        Path probe = logDir.resolve(".tapeline-probe");
        try {
            try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(
                    probe,
                    java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.WRITE,
                    java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
                java.nio.ByteBuffer block = java.nio.ByteBuffer.allocate(1 << 20);
                while (block.hasRemaining()) {
                    channel.write(block);
                }
                channel.force(true);
            } finally {
                Files.deleteIfExists(probe);
            }
            return null;
        } catch (IOException e) {
            return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        }
    }

    /** Why the broker is stopped (its data directory cannot be written), or null while it runs. */
    public String problem() {
        return stopped;
    }

    /** Stops the broker and starts it again once its data directory takes writes (once, however often it is asked). */
    private synchronized void recover(String problem) {
        if (stopped != null || closed) {
            return;
        }
        stopped = "its data directory " + logDir + " cannot be written: " + problem;
        LOG.error(
                "the in-process Kafka broker stopped: {}; clients are still served and capture events are kept where"
                        + " the journal's disk allows; it starts again by itself once the directory takes writes",
                stopped);
        Thread thread = new Thread(this::recovery, "tapeline-kafka-recovery");
        thread.setDaemon(true);
        recovery = thread;
        thread.start();
    }

    private void recovery() {
        shutDown(server);
        long started = System.nanoTime();
        while (!closed) {
            try {
                Thread.sleep(RECOVERY_PROBE_EVERY.toMillis());
            } catch (InterruptedException e) {
                return; // closed
            }
            if (dataDirProblem() != null) {
                continue;
            }
            KafkaRaftServer restarted = new KafkaRaftServer(config, Time.SYSTEM);
            try {
                restarted.startup();
                server = restarted;
                awaitReady(Duration.ofSeconds(60), clientConfig);
            } catch (IllegalStateException | org.apache.kafka.common.KafkaException e) {
                LOG.warn("the in-process Kafka broker did not start again yet ({}); trying again", e.toString());
                shutDown(restarted);
                continue;
            }
            stopped = null;
            LOG.info(
                    "the in-process Kafka broker runs again after {} s; its clients reconnect",
                    Duration.ofNanos(System.nanoTime() - started).toSeconds());
            return;
        }
    }

    private static void shutDown(KafkaRaftServer server) {
        server.shutdown();
        server.awaitShutdown();
    }

    /**
     * Starts the broker and waits until it answers.
     *
     * @param logDir         data directory; formatted on first use
     * @param brokerPort     client port (0 = a free port)
     * @param controllerPort controller port (0 = a free port)
     */
    public static EmbeddedKafka start(Path logDir, int brokerPort, int controllerPort) {
        return start(logDir, brokerPort, controllerPort, Map.of());
    }

    /**
     * Starts a broker whose client listener is SASL_PLAINTEXT with the PLAIN mechanism, for these
     * users (name → password); clients need {@link #saslClientConfig(String, String)}.
     */
    public static EmbeddedKafka startSasl(Path logDir, int brokerPort, int controllerPort, Map<String, String> users) {
        if (users.isEmpty()) {
            throw new IllegalArgumentException("a SASL broker needs at least one user");
        }
        return start(logDir, brokerPort, controllerPort, users);
    }

    /** The settings a client needs for a {@link #startSasl} broker. */
    public static Map<String, Object> saslClientConfig(String user, String password) {
        return Map.of(
                "security.protocol",
                "SASL_PLAINTEXT",
                "sasl.mechanism",
                "PLAIN",
                "sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + user + "\" password=\""
                        + password + "\";");
    }

    private static EmbeddedKafka start(Path logDir, int brokerPort, int controllerPort, Map<String, String> saslUsers) {
        int broker = brokerPort == 0 ? Ports.free() : brokerPort;
        int controller = controllerPort == 0 ? Ports.free() : controllerPort;
        try {
            Files.createDirectories(logDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create Kafka data directory " + logDir, e);
        }
        Properties props = brokerProperties(logDir, broker, controller);
        Map<String, Object> clientConfig = Map.of();
        if (!saslUsers.isEmpty()) {
            String admin = saslUsers.keySet().iterator().next();
            StringBuilder jaas =
                    new StringBuilder("org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                            + admin + "\" password=\"" + saslUsers.get(admin) + "\"");
            saslUsers.forEach((user, password) -> jaas.append(" user_")
                    .append(user)
                    .append("=\"")
                    .append(password)
                    .append('"'));
            props.put(
                    "listeners",
                    "SASL_PLAINTEXT://127.0.0.1:" + broker + "," + CONTROLLER + "://127.0.0.1:" + controller);
            props.put("advertised.listeners", "SASL_PLAINTEXT://127.0.0.1:" + broker);
            props.put("listener.security.protocol.map", "SASL_PLAINTEXT:SASL_PLAINTEXT," + CONTROLLER + ":PLAINTEXT");
            props.put("inter.broker.listener.name", "SASL_PLAINTEXT");
            props.put("sasl.enabled.mechanisms", "PLAIN");
            props.put("sasl.mechanism.inter.broker.protocol", "PLAIN");
            props.put(
                    "listener.name.sasl_plaintext.plain.sasl.jaas.config",
                    jaas.append(';').toString());
            clientConfig = saslClientConfig(admin, saslUsers.get(admin));
        }
        format(logDir);
        guardHalts();
        KafkaConfig config = new KafkaConfig(props, false);
        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        server.startup();
        String bootstrap = "127.0.0.1:" + broker;
        EmbeddedKafka kafka = new EmbeddedKafka(server, bootstrap, logDir, config, clientConfig);
        RUNNING.add(kafka);
        kafka.awaitReady(Duration.ofSeconds(60), clientConfig);
        LOG.info("embedded Kafka ready at {} (data in {})", bootstrap, logDir);
        return kafka;
    }

    static Properties brokerProperties(Path logDir, int broker, int controller) {
        Properties props = new Properties();
        props.put("process.roles", "broker,controller");
        props.put("node.id", "1");
        props.put("controller.quorum.voters", "1@127.0.0.1:" + controller);
        props.put("listeners", "PLAINTEXT://127.0.0.1:" + broker + "," + CONTROLLER + "://127.0.0.1:" + controller);
        props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + broker);
        props.put("controller.listener.names", CONTROLLER);
        props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT," + CONTROLLER + ":PLAINTEXT");
        props.put("inter.broker.listener.name", "PLAINTEXT");
        props.put("log.dirs", logDir.toAbsolutePath().toString());
        props.put("num.partitions", "3");
        props.put("default.replication.factor", "1");
        props.put("offsets.topic.replication.factor", "1");
        props.put("offsets.topic.num.partitions", "3");
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("transaction.state.log.num.partitions", "3");
        props.put("share.coordinator.state.topic.replication.factor", "1");
        props.put("share.coordinator.state.topic.min.isr", "1");
        props.put("group.initial.rebalance.delay.ms", "0");
        props.put("auto.create.topics.enable", "false");
        props.put("message.max.bytes", String.valueOf(dev.tapeline.schema.Limits.MAX_RECORD_BYTES + 1024));
        props.put("replica.fetch.max.bytes", String.valueOf(dev.tapeline.schema.Limits.MAX_RECORD_BYTES + 1024));
        props.put("log.flush.interval.messages", String.valueOf(Long.MAX_VALUE));
        return props;
    }

    private static void format(Path logDir) {
        if (Files.exists(logDir.resolve("meta.properties"))) {
            return;
        }
        try {
            new Formatter()
                    .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                    .setNodeId(1)
                    .setClusterId(Uuid.randomUuid().toString())
                    .setDirectories(List.of(logDir.toAbsolutePath().toString()))
                    .setMetadataLogDirectory(logDir.toAbsolutePath().toString())
                    .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                    .setControllerListenerName(CONTROLLER)
                    .setIgnoreFormatted(true)
                    .run();
        } catch (Exception e) {
            throw new IllegalStateException("cannot format Kafka data directory " + logDir + ": " + e.getMessage(), e);
        }
    }

    private void awaitReady(Duration timeout, Map<String, Object> clientConfig) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, Object> config = new java.util.HashMap<>(clientConfig);
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        try (Admin admin = Admin.create(config)) {
            while (true) {
                try {
                    if (!admin.describeCluster()
                            .nodes()
                            .get(2, TimeUnit.SECONDS)
                            .isEmpty()) {
                        return;
                    }
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("embedded Kafka did not become ready within " + timeout, e);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for the embedded Kafka", e);
                }
            }
        }
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    @Override
    public void close() {
        closed = true;
        RUNNING.remove(this);
        Thread waiting = recovery;
        if (waiting != null) {
            waiting.interrupt();
            try {
                waiting.join(TimeUnit.SECONDS.toMillis(60));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        shutDown(server);
    }
}
