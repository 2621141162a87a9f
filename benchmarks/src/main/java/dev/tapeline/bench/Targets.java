package dev.tapeline.bench;

import dev.tapeline.app.EmbeddedSchemaRegistry;
import dev.tapeline.app.LocalCluster;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** What the load harness puts between its clients and its upstream: the agent or nginx, each its own process. */
final class Targets {

    private Targets() {}

    /** Where the load generator sends its requests, and the CPU time of the processes behind it. */
    interface Target extends AutoCloseable {
        String url();

        /** The proxy's process id (the agent's JVM, nginx's master). */
        default long pid() {
            throw new UnsupportedOperationException("no proxy process");
        }

        /** CPU time used so far by the proxy: the agent's JVM, nginx's processes. */
        Duration proxyCpu();

        /** CPU time used so far by the rest of a capture pipeline in processes of its own: broker, processor, sink. */
        default Duration pipelineCpu() {
            return Duration.ZERO;
        }

        /** Both, read now. */
        default LoadClient.Cpu cpuUsed() {
            return new LoadClient.Cpu(proxyCpu(), pipelineCpu());
        }

        @Override
        default void close() throws Exception {}
    }

    /** The upstream itself (in the load generator's JVM: its CPU is not counted). */
    static Target direct(String url) {
        return new Target() {
            @Override
            public String url() {
                return url;
            }

            @Override
            public Duration proxyCpu() {
                return Duration.ZERO;
            }
        };
    }

    /**
     * The targets' processes at rest use less than this share of one core (idle, five JVMs with
     * brokers and stream threads polling use about 0.1); a pipeline catching up uses a core or more.
     */
    private static final double QUIET_CORES = 0.25;

    /**
     * Waits until the targets' processes are at rest (less than a quarter of a core over half a second),
     * so what one target still does after its run (a pipeline catching up) is not measured against
     * the next; at most a minute.
     */
    static void awaitQuiet(List<Target> targets) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        Duration before = total(targets);
        while (System.nanoTime() < deadline) {
            Thread.sleep(500);
            Duration now = total(targets);
            if (now.minus(before).toNanos() < QUIET_CORES * TimeUnit.MILLISECONDS.toNanos(500)) {
                return;
            }
            before = now;
        }
        System.out.println("the targets did not come to rest within a minute; measuring anyway");
    }

    private static Duration total(List<Target> targets) {
        return targets.stream()
                .map(target -> target.proxyCpu().plus(target.pipelineCpu()))
                .reduce(Duration.ZERO, Duration::plus);
    }

    /** CPU time a process and its children have used so far. */
    static Duration cpu(ProcessHandle process) {
        return Stream.concat(Stream.of(process), process.descendants())
                .map(handle -> handle.info().totalCpuDuration().orElse(Duration.ZERO))
                .reduce(Duration.ZERO, Duration::plus);
    }

    /** A proxy process on a loopback port. */
    static final class ProxyProcess implements Target {
        final String name;
        final Process process;
        final int port;
        final int registryPort;
        final Path log;

        ProxyProcess(String name, Process process, int port, int registryPort, Path log) {
            this.name = name;
            this.process = process;
            this.port = port;
            this.registryPort = registryPort;
            this.log = log;
        }

        @Override
        public String url() {
            return "http://127.0.0.1:" + port;
        }

        @Override
        public Duration proxyCpu() {
            return cpu(process.toHandle());
        }

        @Override
        public long pid() {
            return process.pid();
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /**
     * {@code tapeline run} in its own JVM: in RECORD mode with its in-process broker, registry,
     * processor and sink (the dev mode, everything on this box), or in LIVE mode (proxy only).
     */
    static ProxyProcess agent(String mode, String upstream, Path dir, String maxHeap, List<String> jvmOptions)
            throws Exception {
        int port = freePort();
        return tapeline(
                "agent " + mode,
                dir,
                maxHeap,
                jvmOptions,
                port,
                0,
                -1,
                "--mode",
                mode,
                "--host",
                "127.0.0.1",
                "--port",
                Integer.toString(port),
                "--upstream",
                upstream,
                "--data-dir",
                dir.resolve("data").toString(),
                "--fixtures",
                dir.resolve("fixtures").toString(),
                "--kafka-port",
                Integer.toString(freePort()),
                "--controller-port",
                Integer.toString(freePort()),
                "--registry-port",
                Integer.toString(freePort()));
    }

    /**
     * The rest of the pipeline without an agent, in its own JVM: in-process broker and registry,
     * processor and sink; its {@code port} is the broker's.
     */
    static ProxyProcess backend(Path dir) throws Exception {
        int kafka = freePort();
        int registry = freePort();
        return tapeline(
                "backend",
                dir,
                "1g",
                List.of(),
                kafka,
                registry,
                -1,
                "--components",
                "PROCESSOR,SINK",
                "--data-dir",
                dir.resolve("data").toString(),
                "--fixtures",
                dir.resolve("fixtures").toString(),
                "--kafka-port",
                Integer.toString(kafka),
                "--controller-port",
                Integer.toString(freePort()),
                "--registry-port",
                Integer.toString(registry));
    }

    /** The agent alone (RECORD), capturing into the broker at {@code bootstrap} with the registry at {@code registryUrl}. */
    static ProxyProcess agentOnly(
            String upstream, Path dir, String bootstrap, String registryUrl, String maxHeap, List<String> jvmOptions)
            throws Exception {
        int port = freePort();
        return tapeline(
                "agent",
                dir,
                maxHeap,
                jvmOptions,
                port,
                0,
                -1,
                "--components",
                "AGENT",
                "--host",
                "127.0.0.1",
                "--port",
                Integer.toString(port),
                "--upstream",
                upstream,
                "--data-dir",
                dir.resolve("data").toString(),
                "--bootstrap-servers",
                bootstrap,
                "--schema-registry-url",
                registryUrl);
    }

    /** Processor and sink in a JVM of their own on the broker at {@code bootstrap}; its {@code port} is its admin endpoint's. */
    static ProxyProcess processorAndSink(Path dir, String bootstrap, String registryUrl) throws Exception {
        int admin = freePort();
        return tapeline(
                "processor-and-sink",
                BACKGROUND,
                dir,
                "1g",
                List.of(),
                admin,
                0,
                admin,
                "--components",
                "PROCESSOR,SINK",
                "--bootstrap-servers",
                bootstrap,
                "--schema-registry-url",
                registryUrl,
                "--data-dir",
                dir.resolve("data").toString(),
                "--fixtures",
                dir.resolve("fixtures").toString());
    }

    /**
     * How the pipeline's processes of {@link Production} are started: at the lowest CPU priority,
     * the stand-in on this one machine for the machines of their own production runs them on
     * (with the same priority they take the CPU the relay and the load generator need).
     */
    static final List<String> BACKGROUND = List.of("nice", "-n", "19");

    /**
     * RECORD as production runs it: a broker from Apache Kafka's {@code kafka.Kafka} in its own JVM,
     * processor and sink in another, the agent alone in a third ({@code --components AGENT}); the
     * schema registry in the load generator's JVM (asked once per process start). The broker and the
     * processor run {@link #BACKGROUND}.
     */
    static final class Production implements Target {
        private final LocalCluster kafka;
        private final EmbeddedSchemaRegistry registry;
        private final ProxyProcess pipeline;
        private final ProxyProcess agent;

        private Production(
                LocalCluster kafka, EmbeddedSchemaRegistry registry, ProxyProcess pipeline, ProxyProcess agent) {
            this.kafka = kafka;
            this.registry = registry;
            this.pipeline = pipeline;
            this.agent = agent;
        }

        static Production start(String upstream, Path dir, List<String> agentJvmOptions) throws Exception {
            LocalCluster kafka = LocalCluster.start(Files.createDirectories(dir.resolve("kafka")), 1, BACKGROUND);
            EmbeddedSchemaRegistry registry = null;
            ProxyProcess pipeline = null;
            try {
                registry = EmbeddedSchemaRegistry.start(0);
                pipeline = processorAndSink(dir.resolve("pipeline"), kafka.bootstrapServers(), registry.url());
                ProxyProcess agent = agentOnly(
                        upstream,
                        dir.resolve("agent"),
                        kafka.bootstrapServers(),
                        registry.url(),
                        "1g",
                        agentJvmOptions);
                return new Production(kafka, registry, pipeline, agent);
            } catch (Exception | Error e) {
                if (pipeline != null) {
                    pipeline.close();
                }
                if (registry != null) {
                    registry.close();
                }
                kafka.close();
                throw e;
            }
        }

        @Override
        public String url() {
            return agent.url();
        }

        @Override
        public Duration proxyCpu() {
            return agent.proxyCpu();
        }

        @Override
        public Duration pipelineCpu() {
            return kafka.cpuTime().plus(pipeline.proxyCpu());
        }

        @Override
        public long pid() {
            return agent.pid();
        }

        @Override
        public void close() throws InterruptedException {
            agent.close();
            pipeline.close();
            registry.close();
            kafka.close();
        }
    }

    /** {@code tapeline run ARGS} in a JVM of its own, once it listens on {@code port} (and {@code registryPort}, if not 0). */
    private static ProxyProcess tapeline(
            String name,
            Path dir,
            String maxHeap,
            List<String> jvmOptions,
            int port,
            int registryPort,
            int adminPort,
            String... runArgs)
            throws Exception {
        return tapeline(name, List.of(), dir, maxHeap, jvmOptions, port, registryPort, adminPort, runArgs);
    }

    /** As above, the JVM started through {@code launcher}. */
    private static ProxyProcess tapeline(
            String name,
            List<String> launcher,
            Path dir,
            String maxHeap,
            List<String> jvmOptions,
            int port,
            int registryPort,
            int adminPort,
            String... runArgs)
            throws Exception {
        Files.createDirectories(dir);
        List<String> options = new ArrayList<>(List.of("-Xmx" + maxHeap));
        options.addAll(jvmOptions);
        List<String> args = new ArrayList<>(List.of("run", "--metrics-port", Integer.toString(adminPort)));
        args.addAll(List.of(runArgs));
        List<String> command = new ArrayList<>(launcher);
        command.addAll(
                dev.tapeline.app.JavaCommand.of(options, dev.tapeline.app.cli.TapelineCli.class.getName(), args));
        Path log = dir.resolve(name.replace(' ', '-') + ".log");
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        if (registryPort != 0) {
            awaitPort(process, registryPort, log);
        }
        awaitPort(process, port, log);
        return new ProxyProcess(name, process, port, registryPort, log);
    }

    /** nginx as a plain reverse proxy: keep-alive to the upstream, no buffering, no access log. */
    static ProxyProcess nginx(String upstream, Path dir) throws Exception {
        Path binary = List.of(Path.of("/usr/sbin/nginx"), Path.of("/usr/bin/nginx")).stream()
                .filter(Files::isExecutable)
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("nginx not installed (apt-get install nginx-light)"));
        int port = freePort();
        Files.createDirectories(dir);
        java.net.URI up = java.net.URI.create(upstream);
        String conf = """
                worker_processes auto;
                worker_rlimit_nofile 65535;
                daemon off;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log warn;
                events { worker_connections 16384; }
                http {
                    access_log off;
                    client_body_temp_path %1$s/body;
                    proxy_temp_path %1$s/proxy;
                    fastcgi_temp_path %1$s/fastcgi;
                    uwsgi_temp_path %1$s/uwsgi;
                    scgi_temp_path %1$s/scgi;
                    upstream llm { server %2$s:%3$d; keepalive 1024; }
                    server {
                        listen 127.0.0.1:%4$d;
                        location / {
                            proxy_pass http://llm;
                            proxy_http_version 1.1;
                            proxy_set_header Connection "";
                            proxy_buffering off;
                            proxy_request_buffering off;
                        }
                    }
                }
                """.formatted(dir.toAbsolutePath(), up.getHost(), up.getPort(), port);
        Path file = dir.resolve("nginx.conf");
        Files.writeString(file, conf);
        Path log = dir.resolve("nginx.out");
        Process process = new ProcessBuilder(
                        binary.toString(),
                        "-p",
                        dir.toAbsolutePath().toString(),
                        "-c",
                        file.toAbsolutePath().toString(),
                        "-e",
                        dir.resolve("error.log").toAbsolutePath().toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        awaitPort(process, port, log);
        return new ProxyProcess("nginx", process, port, 0, log);
    }

    private static void awaitPort(Process process, int port, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("exited with " + process.exitValue() + ": " + Files.readString(log));
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        process.destroyForcibly();
        throw new IllegalStateException("not listening on " + port + " after 60 s: " + Files.readString(log));
    }
}
