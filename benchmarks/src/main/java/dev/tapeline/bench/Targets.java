package dev.tapeline.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** What the load harness puts between its clients and its upstream: the agent or nginx, each its own process. */
final class Targets {

    private Targets() {}

    /** A proxy process on a loopback port. */
    static final class ProxyProcess implements AutoCloseable {
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

        String url() {
            return "http://127.0.0.1:" + port;
        }

        long pid() {
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

    /** The agent alone (RECORD), capturing into {@code backend}'s broker and registry. */
    static ProxyProcess agentOnly(
            String upstream, Path dir, ProxyProcess backend, String maxHeap, List<String> jvmOptions) throws Exception {
        int port = freePort();
        return tapeline(
                "agent",
                dir,
                maxHeap,
                jvmOptions,
                port,
                0,
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
                "127.0.0.1:" + backend.port,
                "--schema-registry-url",
                "http://127.0.0.1:" + backend.registryPort);
    }

    /** {@code tapeline run ARGS} in a JVM of its own, once it listens on {@code port} (and {@code registryPort}, if not 0). */
    private static ProxyProcess tapeline(
            String name,
            Path dir,
            String maxHeap,
            List<String> jvmOptions,
            int port,
            int registryPort,
            String... runArgs)
            throws Exception {
        Files.createDirectories(dir);
        List<String> command = new ArrayList<>(
                List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx" + maxHeap));
        command.addAll(jvmOptions);
        command.addAll(List.of(
                "-cp",
                System.getProperty("java.class.path"),
                "dev.tapeline.app.TapelineCli",
                "run",
                "--metrics-port",
                "-1"));
        command.addAll(List.of(runArgs));
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
