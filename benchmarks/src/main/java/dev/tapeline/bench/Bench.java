package dev.tapeline.bench;

import dev.tapeline.agent.capture.CaptureEventBenchmarks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Runs the benchmark suites and rewrites their tables and plots in docs/benchmarks.md. */
@Command(
        name = "tapeline-bench",
        mixinStandardHelpOptions = true,
        description = "Run Tapeline's benchmarks and rewrite the tables and plots of docs/benchmarks.md.")
public final class Bench implements Callable<Integer> {

    @Parameters(
            arity = "0..*",
            paramLabel = "SUITE",
            description = "jmh, pipeline, proxy, memory, scale (default: all of them); profile: one agent under"
                    + " load with Java Flight Recorder on, not part of the default.")
    List<String> suites = new ArrayList<>();

    @Option(names = "--quick", description = "Short runs: to check the harness, not to quote.")
    boolean quick;

    @Option(
            names = "--profile-target",
            defaultValue = ProxyBench.LIVE,
            description = "profile: the agent to record with Java Flight Recorder (default: ${DEFAULT-VALUE}).")
    String profileTarget;

    @Option(
            names = "--profile-concurrency",
            defaultValue = "100",
            description = "profile: concurrent streams (default: ${DEFAULT-VALUE}).")
    int profileConcurrency;

    @Option(
            names = "--profile-chunks",
            defaultValue = "20",
            description = "profile: SSE chunks per answer, 0 for non-streaming answers (default: ${DEFAULT-VALUE}).")
    int profileChunks;

    @Option(
            names = "--async-profiler",
            description = "profile: async-profiler's libasyncProfiler.so; without it, Java Flight Recorder.")
    Path asyncProfiler;

    @Option(
            names = "--profile-keep-alive",
            description = "profile: kept-alive connections (default: a fresh connection per stream).")
    boolean profileKeepAlive;

    @Option(
            names = "--docs",
            defaultValue = "docs",
            description = "Where benchmarks.md and its plots go (default: ${DEFAULT-VALUE}).")
    Path docs;

    @Option(
            names = "--work",
            defaultValue = "target/bench-work",
            description = "Scratch directory (default: ${DEFAULT-VALUE}).")
    Path work;

    public static void main(String[] args) {
        System.exit(new CommandLine(new Bench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        List<String> run = suites.isEmpty() ? List.of("jmh", "pipeline", "proxy", "memory", "scale") : suites;
        Files.createDirectories(work);
        Path page = docs.resolve("benchmarks.md");
        for (String suite : run) {
            switch (suite) {
                case "proxy" -> proxy(page);
                case "jmh" -> jmh(page);
                case "pipeline" -> pipeline(page);
                case "memory" -> memory(page);
                case "scale" -> scale(page);
                case "profile" -> profile();
                default -> throw new CommandLine.ParameterException(new CommandLine(this), "unknown suite " + suite);
            }
        }
        return 0;
    }

    private void proxy(Path page) throws Exception {
        List<Integer> concurrencies = List.of(1, 100, 200, 500);
        Duration warmup = Duration.ofSeconds(quick ? 1 : 3);
        Duration measured = Duration.ofSeconds(quick ? 3 : 10);
        Duration agentWarmup = Duration.ofSeconds(quick ? 5 : 30);
        List<ProxyBench.Row> rows = ProxyBench.run(
                work.resolve("proxy-" + System.nanoTime()), concurrencies, 20, 20, agentWarmup, warmup, measured);
        StringBuilder table = new StringBuilder();
        table.append(String.format(
                Locale.ROOT,
                "Workload: each client streams a chat completion of 20 SSE chunks of about 230 bytes, 20 ms apart,"
                        + " and starts the next when it ends; the load generator and the simulated upstream share one"
                        + " JVM and one clock; each agent first runs %d s under load unmeasured (its JIT compiler's"
                        + " work done), then %d s warm-up, %d s measured per row, targets interleaved in one run, each"
                        + " row once the targets' processes are at rest."
                        + " Targets: `%s` (no proxy), `%s` (a plain reverse proxy, no buffering), `%s` (proxy only),"
                        + " `%s` as production runs it (the agent alone in its JVM, `--components AGENT`; one broker"
                        + " from Apache Kafka's `kafka.Kafka` in its own JVM; processor and sink in a third) and `%s`"
                        + " (broker, registry, processor and sink in the agent's JVM). CPU per chunk: the CPU time the"
                        + " target's processes used in the measured period over the chunks relayed in it; the pipeline"
                        + " column is the broker's and the processor-and-sink JVM's. All of it on this machine's 2"
                        + " cores.%n",
                agentWarmup.toSeconds(),
                warmup.toSeconds(),
                measured.toSeconds(),
                ProxyBench.DIRECT,
                ProxyBench.NGINX,
                ProxyBench.LIVE,
                ProxyBench.RECORD,
                ProxyBench.RECORD_DEV));
        for (boolean keepAlive : new boolean[] {false, true}) {
            proxyTables(table, rows, concurrencies, keepAlive);
        }
        proxyVerdicts(table, rows);
        Map<String, double[]> chunkP50Series = new LinkedHashMap<>();
        Map<String, double[]> chunkP99Series = new LinkedHashMap<>();
        List<String> proxies = ProxyBench.TARGETS.subList(1, ProxyBench.TARGETS.size());
        for (String target : proxies) {
            chunkP50Series.put(target, new double[concurrencies.size()]);
            chunkP99Series.put(target, new double[concurrencies.size()]);
            for (int i = 0; i < concurrencies.size(); i++) {
                ProxyBench.Row direct = ProxyBench.find(rows, ProxyBench.DIRECT, false, concurrencies.get(i), true);
                ProxyBench.Row row = ProxyBench.find(rows, target, false, concurrencies.get(i), true);
                chunkP50Series.get(target)[i] = (row.chunkP50() - direct.chunkP50()) / 1000.0;
                chunkP99Series.get(target)[i] = (row.chunkP99() - direct.chunkP99()) / 1000.0;
            }
        }
        List<String> ticks = concurrencies.stream().map(String::valueOf).toList();
        Plot.lines(
                docs.resolve("benchmarks/proxy-added-chunk-p50.png"),
                "Added per-chunk latency, p50 (fresh connection per stream)",
                "concurrent streams",
                "ms added over a direct connection",
                ticks,
                chunkP50Series);
        Plot.lines(
                docs.resolve("benchmarks/proxy-added-chunk-p99.png"),
                "Added per-chunk latency, p99 (fresh connection per stream)",
                "concurrent streams",
                "ms added over a direct connection",
                ticks,
                chunkP99Series);
        table.append("\n![added per-chunk latency, p50](benchmarks/proxy-added-chunk-p50.png)\n");
        table.append("![added per-chunk latency, p99](benchmarks/proxy-added-chunk-p99.png)\n");
        Report.replace(page, "proxy", table.toString());
    }

    private static void proxyTables(
            StringBuilder table, List<ProxyBench.Row> rows, List<Integer> concurrencies, boolean keepAlive) {
        table.append(String.format(
                Locale.ROOT,
                "%n#### %s%n%n",
                keepAlive ? "Kept-alive connections" : "A fresh connection per stream (`Connection: close`)"));
        table.append("| concurrency | target | streams/s | status line p50 | first chunk p50 | p99 | chunk latency p50"
                + " | p99 | max | CPU per chunk: proxy | CPU per chunk: pipeline | errors |\n");
        table.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (ProxyBench.Row row : rows) {
            if (row.chunks() == 0 || row.keepAlive() != keepAlive) {
                continue;
            }
            table.append(String.format(
                    Locale.ROOT,
                    "| %d | %s | %.0f | %s | %s | %s | %s | %s | %s | %s | %s | %d |%n",
                    row.concurrency(),
                    row.target(),
                    row.streamsPerSecond(),
                    ms(row.headP50()),
                    ms(row.firstP50()),
                    ms(row.firstP99()),
                    ms(row.chunkP50()),
                    ms(row.chunkP99()),
                    ms(row.chunkMax()),
                    cpu(row, row.proxyCpuMicros()),
                    cpu(row, row.pipelineCpuMicros()),
                    row.errors()));
        }
        table.append(
                "\nAdded by each proxy (its figure minus the direct connection's, same concurrency, same run):\n\n");
        table.append("| concurrency | target | added status line p50 | added first chunk p50 | added chunk p50"
                + " | added chunk p99 | chunk p50 added: × nginx | × LIVE |\n");
        table.append("|---:|---|---:|---:|---:|---:|---:|---:|\n");
        for (int c : concurrencies) {
            ProxyBench.Row direct = ProxyBench.find(rows, ProxyBench.DIRECT, keepAlive, c, true);
            for (String target : ProxyBench.TARGETS.subList(1, ProxyBench.TARGETS.size())) {
                ProxyBench.Row row = ProxyBench.find(rows, target, keepAlive, c, true);
                table.append(String.format(
                        Locale.ROOT,
                        "| %d | %s | %s | %s | %s | %s | %s | %s |%n",
                        c,
                        target,
                        ms(row.headP50() - direct.headP50()),
                        ms(row.firstP50() - direct.firstP50()),
                        ms(row.chunkP50() - direct.chunkP50()),
                        ms(row.chunkP99() - direct.chunkP99()),
                        times(
                                addedChunkP50(rows, target, keepAlive, c),
                                addedChunkP50(rows, ProxyBench.NGINX, keepAlive, c)),
                        times(
                                addedChunkP50(rows, target, keepAlive, c),
                                addedChunkP50(rows, ProxyBench.LIVE, keepAlive, c))));
            }
        }
        table.append(String.format(
                Locale.ROOT,
                "%nNon-streaming answers (one JSON body of about 300 bytes), %d clients:%n%n"
                        + "| target | answers/s | × LIVE | response time p50 | p99 | max | CPU per answer: proxy"
                        + " | CPU per answer: pipeline | errors |%n|---|---:|---:|---:|---:|---:|---:|---:|---:|%n",
                ProxyBench.NON_STREAMING_CONCURRENCY));
        ProxyBench.Row liveJson =
                ProxyBench.find(rows, ProxyBench.LIVE, keepAlive, ProxyBench.NON_STREAMING_CONCURRENCY, false);
        for (ProxyBench.Row row : rows) {
            if (row.chunks() == 0 && row.keepAlive() == keepAlive) {
                table.append(String.format(
                        Locale.ROOT,
                        "| %s | %.0f | %.2f | %s | %s | %s | %s | %s | %d |%n",
                        row.target(),
                        row.streamsPerSecond(),
                        row.streamsPerSecond() / liveJson.streamsPerSecond(),
                        ms(row.firstP50()),
                        ms(row.firstP99()),
                        ms(row.firstMax()),
                        cpu(row, row.proxyCpuMicros()),
                        cpu(row, row.pipelineCpuMicros()),
                        row.errors()));
            }
        }
    }

    /** Below this, an added latency is taken as this for ratios: a proxy adding 0.01 ms would make every ratio noise. */
    static final long RATIO_FLOOR_MICROS = 50;

    private static long addedChunkP50(List<ProxyBench.Row> rows, String target, boolean keepAlive, int concurrency) {
        return ProxyBench.find(rows, target, keepAlive, concurrency, true).chunkP50()
                - ProxyBench.find(rows, ProxyBench.DIRECT, keepAlive, concurrency, true)
                        .chunkP50();
    }

    private static long addedChunkP99(List<ProxyBench.Row> rows, String target, boolean keepAlive, int concurrency) {
        return ProxyBench.find(rows, target, keepAlive, concurrency, true).chunkP99()
                - ProxyBench.find(rows, ProxyBench.DIRECT, keepAlive, concurrency, true)
                        .chunkP99();
    }

    private static double ratio(long added, long reference) {
        return (double) Math.max(added, RATIO_FLOOR_MICROS) / Math.max(reference, RATIO_FLOOR_MICROS);
    }

    private static String times(long added, long reference) {
        return String.format(Locale.ROOT, "%.1f×", ratio(added, reference));
    }

    private static String cpu(ProxyBench.Row row, double micros) {
        return row.target().equals(ProxyBench.DIRECT) || micros == 0
                ? "–"
                : String.format(Locale.ROOT, "%.1f µs", micros);
    }

    /** The goals, each checked against this run. */
    private static void proxyVerdicts(StringBuilder table, List<ProxyBench.Row> rows) {
        table.append(String.format(
                Locale.ROOT,
                "%n#### Verdicts%n%nRatios of added latencies take anything below %.2f ms as %.2f ms.%n%n"
                        + "| goal | connections | measured | verdict |%n|---|---|---|---|%n",
                RATIO_FLOOR_MICROS / 1000.0,
                RATIO_FLOOR_MICROS / 1000.0));
        for (boolean keepAlive : new boolean[] {false, true}) {
            String mode = keepAlive ? "kept alive" : "fresh";
            for (int c : new int[] {100, 200}) {
                ratioVerdict(
                        table,
                        "LIVE adds ≤ 2× nginx per chunk (p50), " + c + " streams",
                        mode,
                        addedChunkP50(rows, ProxyBench.LIVE, keepAlive, c),
                        addedChunkP50(rows, ProxyBench.NGINX, keepAlive, c),
                        2);
            }
            ratioVerdict(
                    table,
                    "RECORD adds ≤ 3× LIVE per chunk (p50), 100 streams",
                    mode,
                    addedChunkP50(rows, ProxyBench.RECORD, keepAlive, 100),
                    addedChunkP50(rows, ProxyBench.LIVE, keepAlive, 100),
                    3);
            ratioVerdict(
                    table,
                    "no p99 spike from capture: RECORD adds ≤ 3× LIVE per chunk (p99), 100 streams",
                    mode,
                    addedChunkP99(rows, ProxyBench.RECORD, keepAlive, 100),
                    addedChunkP99(rows, ProxyBench.LIVE, keepAlive, 100),
                    3);
            ProxyBench.Row recordJson =
                    ProxyBench.find(rows, ProxyBench.RECORD, keepAlive, ProxyBench.NON_STREAMING_CONCURRENCY, false);
            ProxyBench.Row liveJson =
                    ProxyBench.find(rows, ProxyBench.LIVE, keepAlive, ProxyBench.NON_STREAMING_CONCURRENCY, false);
            double answers = recordJson.streamsPerSecond() / liveJson.streamsPerSecond();
            verdict(
                    table,
                    "non-streaming RECORD ≥ 0.8× LIVE's answers/s",
                    mode,
                    String.format(
                            Locale.ROOT,
                            "%.0f against %.0f: %.2f×",
                            recordJson.streamsPerSecond(),
                            liveJson.streamsPerSecond(),
                            answers),
                    answers >= 0.8);
            ProxyBench.Row liveStream = ProxyBench.find(rows, ProxyBench.LIVE, keepAlive, 1, true);
            verdict(
                    table,
                    "LIVE forwards the status line before the first chunk (1 stream, first token after 20 ms)",
                    mode,
                    String.format(
                            Locale.ROOT,
                            "status line %s, first chunk %s",
                            ms(liveStream.headP50()),
                            ms(liveStream.firstP50())),
                    liveStream.headP50() < liveStream.firstP50() - 10_000);
        }
    }

    /** A goal that {@code added} be at most {@code limit} times {@code reference}. */
    private static void ratioVerdict(
            StringBuilder table, String goal, String mode, long added, long reference, double limit) {
        verdict(
                table,
                goal,
                mode,
                String.format(Locale.ROOT, "%s against %s: %s", ms(added), ms(reference), times(added, reference)),
                ratio(added, reference) <= limit);
    }

    private static void verdict(StringBuilder table, String goal, String mode, String measured, boolean met) {
        table.append(String.format(
                Locale.ROOT, "| %s | %s | %s | %s |%n", goal, mode, measured, met ? "met" : "**not met**"));
    }

    private void profile() throws Exception {
        Path recording = ProxyBench.profile(
                Files.createDirectories(work.resolve("profile-" + System.nanoTime())),
                profileTarget,
                profileConcurrency,
                profileChunks,
                profileKeepAlive,
                Duration.ofSeconds(quick ? 10 : 30),
                asyncProfiler);
        System.out.println("recording: " + recording);
    }

    private void memory(Path page) throws Exception {
        Duration measured = Duration.ofSeconds(quick ? 10 : 40);
        List<MemoryBench.Run> runs = MemoryBench.run(work.resolve("memory-" + System.nanoTime()), 1000, measured);
        StringBuilder table = new StringBuilder();
        table.append(String.format(
                Locale.ROOT,
                "The agent alone in a JVM with `-Xmx256m` (`--components AGENT`), capturing"
                        + " into a broker, processor and sink in another JVM; 1,000 concurrent streams, chunks 20 ms apart, every"
                        + " stream counted, %d s per row (a 1,400-chunk stream lasts 28 s); heap after each young collection from"
                        + " `-Xlog:gc`.%n%n",
                measured.toSeconds()));
        table.append(
                "| chunks per stream | streams finished | chunks relayed | errors | collections | heap after GC, median | max | heap size max |\n");
        table.append("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (MemoryBench.Run run : runs) {
            table.append(String.format(
                    Locale.ROOT,
                    "| %,d | %,d | %,d | %d | %d | %d MB | %d MB | %d MB |%n",
                    run.chunks(),
                    run.streams(),
                    run.chunksRelayed(),
                    run.errors(),
                    run.collections(),
                    run.heapAfterGcMedianMb(),
                    run.heapAfterGcMaxMb(),
                    run.heapMaxMb()));
        }
        Report.replace(page, "memory", table.toString());
    }

    private void scale(Path page) throws Exception {
        long chunks = quick ? 40_000 : 200_000;
        List<ScaleBench.Run> runs = ScaleBench.run(
                work.resolve("scale-" + System.nanoTime()),
                chunks,
                List.of(new ScaleBench.Setup(1, -1), new ScaleBench.Setup(2, 0), new ScaleBench.Setup(2, -1)));
        StringBuilder table = new StringBuilder();
        table.append(String.format(
                Locale.ROOT,
                "%,d chunk events as 20-chunk streams on a 3-node cluster (three broker JVMs from `kafka.Kafka`, topics"
                        + " with 6 partitions and 3 replicas, `min.insync.replicas=2`), processed by `tapeline run"
                        + " --components PROCESSOR` in 1, then 2, JVMs of their own (exactly_once_v2, one stream thread"
                        + " each); a fresh cluster per row, the processors in their group before the first event; time"
                        + " from the first event written until every offset is committed. All of it on this machine's"
                        + " 2 cores.%n%n",
                chunks));
        table.append(
                "| processor JVMs | standby replicas | exchanges | events | seconds | events/s | exchanges/s | vs 1 processor"
                        + " | CPU s: 3 brokers | CPU s: processors | CPU s per 1,000 events |\n");
        table.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        ScaleBench.Run one = runs.get(0);
        for (ScaleBench.Run run : runs) {
            table.append(String.format(
                    Locale.ROOT,
                    "| %d | %s | %,d | %,d | %.2f | %,.0f | %,.0f | %.2f× | %.1f | %.1f | %.2f |%n",
                    run.processors(),
                    run.standbyReplicas() < 0
                            ? "default (1; none placeable with 1 JVM)"
                            : String.valueOf(run.standbyReplicas()),
                    run.exchanges(),
                    run.events(),
                    run.seconds(),
                    run.eventsPerSecond(),
                    run.exchanges() / run.seconds(),
                    run.eventsPerSecond() / one.eventsPerSecond(),
                    run.brokerCpu(),
                    run.processorCpu(),
                    (run.brokerCpu() + run.processorCpu()) * 1000 / run.events()));
        }
        Report.replace(page, "scale", table.toString());
    }

    private void pipeline(Path page) throws Exception {
        long chunks = quick ? 28_000 : 140_000;
        List<PipelineBench.Run> runs = PipelineBench.run(work.resolve("pipeline-" + System.nanoTime()), chunks);
        StringBuilder table = new StringBuilder();
        table.append(String.format(
                Locale.ROOT,
                "%,d chunk events as 20-chunk streams and again as 1,400-chunk streams"
                        + " (each exchange: request, response, chunks, outcome), 3 partitions, exactly_once_v2, commit every"
                        + " 100 ms (the processor's interval) unless the row says otherwise, in-JVM broker; time from"
                        + " RUNNING until every offset is committed. The experiment's store is not for production: without"
                        + " a changelog, the chunks of open exchanges are lost when a task moves.%n%n",
                chunks));
        table.append("| processor | chunks per stream | exchanges | events | seconds | events/s | vs bare count() |\n");
        table.append("|---|---:|---:|---:|---:|---:|---:|\n");
        for (PipelineBench.Run run : runs) {
            PipelineBench.Run bare = find(runs, PipelineBench.BARE, run.chunksPerStream());
            table.append(String.format(
                    Locale.ROOT,
                    "| %s | %,d | %,d | %,d | %.2f | %,.0f | %.2f× |%n",
                    run.name(),
                    run.chunksPerStream(),
                    run.exchanges(),
                    run.events(),
                    run.seconds(),
                    run.eventsPerSecond(),
                    run.eventsPerSecond() / bare.eventsPerSecond()));
        }
        PipelineBench.Run short20 = find(runs, PipelineBench.TOPOLOGY, 20);
        PipelineBench.Run long1400 = find(runs, PipelineBench.TOPOLOGY, 1400);
        table.append(String.format(
                Locale.ROOT,
                "%nPer-chunk cost of the recording topology, 1,400-chunk streams against"
                        + " 20-chunk streams: %.2f× (%.1f µs against %.1f µs per event).%n",
                short20.eventsPerSecond() / long1400.eventsPerSecond(),
                1e6 / long1400.eventsPerSecond(),
                1e6 / short20.eventsPerSecond()));
        table.append(
                "\nLast chunk to fixture on disk (the whole pipeline in one JVM, dev mode: the sink reports a fixture"
                        + " once renamed into place and synced; time since the upstream wrote the stream's last chunk):\n\n");
        table.append("| concurrent streams | fixtures | p50 | p99 | max |\n|---:|---:|---:|---:|---:|\n");
        for (int concurrency : new int[] {10, 50}) {
            FixtureLatencyBench.Result latency = FixtureLatencyBench.run(
                    work.resolve("fixture-latency-" + concurrency + "-" + System.nanoTime()),
                    concurrency,
                    Duration.ofSeconds(quick ? 5 : 20));
            table.append(String.format(
                    Locale.ROOT,
                    "| %d | %,d | %.0f ms | %.0f ms | %.0f ms |%n",
                    concurrency,
                    latency.fixtures(),
                    latency.p50(),
                    latency.p99(),
                    latency.max()));
        }
        Report.replace(page, "pipeline", table.toString());
    }

    private static PipelineBench.Run find(List<PipelineBench.Run> runs, String name, int chunksPerStream) {
        return runs.stream()
                .filter(r -> r.name().equals(name) && r.chunksPerStream() == chunksPerStream)
                .findFirst()
                .orElseThrow();
    }

    private void jmh(Path page) throws Exception {
        org.openjdk.jmh.runner.options.Options options = new org.openjdk.jmh.runner.options.OptionsBuilder()
                .include(HotCodeBenchmarks.class.getName())
                .include(CaptureEventBenchmarks.class.getName())
                .forks(1)
                .warmupIterations(quick ? 1 : 3)
                .warmupTime(org.openjdk.jmh.runner.options.TimeValue.seconds(1))
                .measurementIterations(quick ? 2 : 5)
                .measurementTime(org.openjdk.jmh.runner.options.TimeValue.seconds(1))
                .jvmArgsAppend("-Xmx1g")
                .build();
        java.util.Collection<org.openjdk.jmh.results.RunResult> results =
                new org.openjdk.jmh.runner.Runner(options).run();
        StringBuilder table = new StringBuilder();
        table.append(String.format(
                Locale.ROOT,
                "JMH %s, 1 fork, %d × 1 s warm-up, %d × 1 s measured, average time per" + " call.%n%n",
                org.openjdk.jmh.util.Utils.getCurrentJvm() == null ? "" : "1.37",
                quick ? 1 : 3,
                quick ? 2 : 5));
        table.append("| benchmark | what it is | µs per call | ± (99.9%) |\n|---|---|---:|---:|\n");
        for (org.openjdk.jmh.results.RunResult result : results) {
            String name = result.getParams().getBenchmark();
            name = name.substring(name.lastIndexOf('.') + 1);
            org.openjdk.jmh.util.Statistics stats = result.getPrimaryResult().getStatistics();
            table.append(String.format(
                    Locale.ROOT,
                    "| `%s` | %s | %.2f | %.2f |%n",
                    name,
                    JMH_WHAT.getOrDefault(name, ""),
                    stats.getMean(),
                    stats.getMeanErrorAt(0.999)));
        }
        Report.replace(page, "jmh", table.toString());
    }

    private static final Map<String, String> JMH_WHAT = Map.ofEntries(
            Map.entry("requestHash", "llama-stack's request hash of a chat request (once per request)"),
            Map.entry("pythonJsonWriter", "Python-compatible JSON of a 20-chunk fixture (once per fixture)"),
            Map.entry("renderStreamFixture", "a 20-chunk stream rendered into its fixture (once per fixture)"),
            Map.entry("avroSerializeChunkEvent", "one chunk event to Confluent wire format (once per chunk, agent)"),
            Map.entry("avroDeserializeChunkEvent", "one chunk event read back (once per chunk, processor)"),
            Map.entry("sseParse20Events", "SSE framing of a 20-event stream of 4 KB (once per stream)"),
            Map.entry(
                    "eventSerializedBefore",
                    "agent, per event, before: Avro into the journal, decoded by the sender, serialized by the serde"),
            Map.entry(
                    "eventSerializedOnce",
                    "agent, per event, now: serialized once into the record Kafka gets; key and time read from it"),
            Map.entry("journalAppendEach", "journal append, one write per event (before), per event"),
            Map.entry("journalAppendBatch", "journal append of 1,000 events in one call (now), per event"));

    /** Microseconds as milliseconds with two decimals. */
    static String ms(long micros) {
        return String.format(Locale.ROOT, "%.2f ms", micros / 1000.0);
    }
}
