package dev.tapeline.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The same streaming workload, at each concurrency and on fresh as on kept-alive connections,
 * straight to the simulated upstream, through nginx, through the agent proxying only (LIVE),
 * through the agent capturing as production runs it (RECORD: the agent alone, the broker, processor
 * and sink in JVMs of their own) and in dev mode (RECORD with everything in the agent's JVM),
 * interleaved in one run.
 */
final class ProxyBench {

    /**
     * One target at one concurrency; latencies in microseconds; {@code chunks} 0: non-streaming
     * answers; CPU per chunk (per answer when non-streaming) in microseconds.
     */
    record Row(
            String target,
            boolean keepAlive,
            int concurrency,
            int chunks,
            double streamsPerSecond,
            double chunksPerSecond,
            long headP50,
            long headP99,
            long firstP50,
            long firstP99,
            long firstMax,
            long chunkP50,
            long chunkP99,
            long chunkMax,
            long errors,
            double proxyCpuMicros,
            double pipelineCpuMicros) {}

    static final String DIRECT = "direct";
    static final String NGINX = "nginx";
    static final String LIVE = "agent LIVE";
    static final String RECORD = "agent RECORD";
    static final String RECORD_DEV = "agent RECORD, dev mode";
    static final List<String> TARGETS = List.of(DIRECT, NGINX, LIVE, RECORD, RECORD_DEV);

    static final int NON_STREAMING_CONCURRENCY = 100;

    private ProxyBench() {}

    /**
     * @param agentWarmup how long each agent runs under load before the first row, unmeasured
     * @param warmup      before each row, unmeasured
     */
    static List<Row> run(
            Path work,
            List<Integer> concurrencies,
            int chunks,
            int intervalMs,
            Duration agentWarmup,
            Duration warmup,
            Duration measured)
            throws Exception {
        List<Row> rows = new ArrayList<>();
        try (LoadUpstream upstream = LoadUpstream.start();
                Targets.ProxyProcess nginx = Targets.nginx(upstream.url(), work.resolve("nginx"));
                Targets.Target live = agent(LIVE, upstream.url(), work);
                Targets.Target record = agent(RECORD, upstream.url(), work);
                Targets.Target dev = agent(RECORD_DEV, upstream.url(), work)) {
            Map<String, Targets.Target> targets = new LinkedHashMap<>();
            targets.put(DIRECT, Targets.direct(upstream.url()));
            targets.put(NGINX, nginx);
            targets.put(LIVE, live);
            targets.put(RECORD, record);
            targets.put(RECORD_DEV, dev);
            List<Targets.Target> all = List.copyOf(targets.values());
            // an agent's JIT compiler still at work would be measured as the proxy's cost: each first runs under load
            for (String agent : List.of(LIVE, RECORD, RECORD_DEV)) {
                LoadClient.run(
                        targets.get(agent).url(),
                        new LoadClient.Workload(100, 20, 64, 20, Duration.ZERO, agentWarmup, true));
            }
            for (boolean keepAlive : new boolean[] {false, true}) {
                for (int concurrency : concurrencies) {
                    for (Map.Entry<String, Targets.Target> target : targets.entrySet()) {
                        Targets.awaitQuiet(all);
                        rows.add(measure(target, keepAlive, concurrency, chunks, intervalMs, warmup, measured));
                    }
                }
                // non-streaming answers (one JSON body), at one concurrency
                for (Map.Entry<String, Targets.Target> target : targets.entrySet()) {
                    Targets.awaitQuiet(all);
                    rows.add(measure(target, keepAlive, NON_STREAMING_CONCURRENCY, 0, 0, warmup, measured));
                }
            }
        }
        return rows;
    }

    /** How long an agent runs under load before it is profiled: its JIT compiler's work is done by then. */
    static final Duration PROFILE_WARMUP = Duration.ofSeconds(30);

    /**
     * One agent under load with a profiler attached to its JVM for the measured period only, after
     * {@link #PROFILE_WARMUP} of the same load: async-profiler's CPU sampling (Java, JVM and kernel
     * frames, as collapsed stacks) when {@code asyncProfiler} names its library, else Java Flight
     * Recorder (profile settings). Both are attached with {@code jcmd}.
     */
    static Path profile(
            Path work,
            String target,
            int concurrency,
            int chunks,
            boolean keepAlive,
            Duration measured,
            Path asyncProfiler)
            throws Exception {
        String name = target.replace(' ', '-').replace(",", "") + "-" + concurrency + "-" + chunks;
        Path recording = work.resolve(name + (asyncProfiler == null ? ".jfr" : ".collapsed"))
                .toAbsolutePath();
        try (LoadUpstream upstream = LoadUpstream.start();
                Targets.Target agent = agent(target, upstream.url(), work)) {
            long pid = agent.pid();
            // one command line each; the agent's options quoted, else jcmd reads their key=value pairs as its own
            String start = asyncProfiler == null
                    ? "JFR.start name=tapeline-profile settings=profile"
                    : "JVMTI.agent_load " + asyncProfiler.toAbsolutePath() + " \"start,event=cpu,interval=1ms\"";
            String stop = asyncProfiler == null
                    ? "JFR.stop name=tapeline-profile filename=" + recording
                    : "JVMTI.agent_load " + asyncProfiler.toAbsolutePath() + " \"stop,file=" + recording + "\"";
            boolean[] started = {false};
            LoadClient.Result result = LoadClient.run(
                    agent.url(),
                    new LoadClient.Workload(
                            concurrency, chunks, 64, chunks > 0 ? 20 : 0, PROFILE_WARMUP, measured, keepAlive),
                    // called as the measured period starts, then as it ends
                    () -> {
                        jcmd(pid, started[0] ? stop : start);
                        started[0] = true;
                        return agent.cpuUsed();
                    });
            System.out.println(format(row(target, keepAlive, concurrency, chunks, result)));
        }
        // jcmd exits 0 when a command it ran failed: the file tells
        if (!Files.exists(recording)) {
            throw new IllegalStateException("no recording was written to " + recording + "; see the agent's log");
        }
        return recording;
    }

    /** The agent target named {@code target}, started with its data under {@code work}. */
    private static Targets.Target agent(String target, String upstream, Path work) throws Exception {
        return switch (target) {
            case LIVE -> Targets.agent("LIVE", upstream, work.resolve("agent-live"), "1g", List.of());
            case RECORD -> Targets.Production.start(upstream, work.resolve("agent-record"), List.of());
            case RECORD_DEV -> Targets.agent("RECORD", upstream, work.resolve("agent-record-dev"), "1g", List.of());
            default -> throw new IllegalArgumentException("no agent in " + target + "; one of " + TARGETS);
        };
    }

    private static void jcmd(long pid, String command) {
        List<String> line = List.of(
                Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), Long.toString(pid), command);
        try {
            Process process = new ProcessBuilder(line).redirectErrorStream(true).start();
            String output =
                    new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (process.waitFor() != 0) {
                throw new IllegalStateException(String.join(" ", line) + " failed: " + output);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Row measure(
            Map.Entry<String, Targets.Target> target,
            boolean keepAlive,
            int concurrency,
            int chunks,
            int intervalMs,
            Duration warmup,
            Duration measured)
            throws Exception {
        Targets.Target under = target.getValue();
        LoadClient.Result result = LoadClient.run(
                under.url(),
                new LoadClient.Workload(concurrency, chunks, 64, intervalMs, warmup, measured, keepAlive),
                under::cpuUsed);
        Row row = row(target.getKey(), keepAlive, concurrency, chunks, result);
        System.out.println(format(row));
        return row;
    }

    private static Row row(String target, boolean keepAlive, int concurrency, int chunks, LoadClient.Result result) {
        long items = chunks > 0 ? result.chunks() : result.streams();
        return new Row(
                target,
                keepAlive,
                concurrency,
                chunks,
                result.streamsPerSecond(),
                result.chunksPerSecond(),
                result.head().getValueAtPercentile(50),
                result.head().getValueAtPercentile(99),
                result.firstChunk().getValueAtPercentile(50),
                result.firstChunk().getValueAtPercentile(99),
                result.firstChunk().getMaxValue(),
                result.chunk().getValueAtPercentile(50),
                result.chunk().getValueAtPercentile(99),
                result.chunk().getMaxValue(),
                result.errors(),
                items == 0 ? 0 : result.cpu().proxy().toNanos() / 1e3 / items,
                items == 0 ? 0 : result.cpu().pipeline().toNanos() / 1e3 / items);
    }

    static String format(Row row) {
        return String.format(
                Locale.ROOT,
                "%-22s %-10s c=%4d  %8.0f streams/s %9.0f chunks/s  head p50 %6d us  first p50 %6d us p99 %7d us"
                        + "  chunk p50 %6d us p99 %7d us max %7d us  cpu %.1f + %.1f us  errors %d",
                row.target(),
                row.keepAlive() ? "keep-alive" : "fresh",
                row.concurrency(),
                row.streamsPerSecond(),
                row.chunksPerSecond(),
                row.headP50(),
                row.firstP50(),
                row.firstP99(),
                row.chunkP50(),
                row.chunkP99(),
                row.chunkMax(),
                row.proxyCpuMicros(),
                row.pipelineCpuMicros(),
                row.errors());
    }

    /** The row of a target at a concurrency. */
    static Row find(List<Row> rows, String target, boolean keepAlive, int concurrency, boolean streaming) {
        return rows.stream()
                .filter(r -> r.target().equals(target)
                        && r.keepAlive() == keepAlive
                        && r.concurrency() == concurrency
                        && (r.chunks() > 0) == streaming)
                .findFirst()
                .orElseThrow();
    }
}
