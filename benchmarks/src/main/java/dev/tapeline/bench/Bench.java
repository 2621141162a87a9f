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
            description = "proxy, pipeline, memory, jmh (default: all of them).")
    List<String> suites = new ArrayList<>();

    @Option(names = "--quick", description = "Short runs: to check the harness, not to quote.")
    boolean quick;

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
                default -> throw new CommandLine.ParameterException(new CommandLine(this), "unknown suite " + suite);
            }
        }
        return 0;
    }

    private void proxy(Path page) throws Exception {
        List<Integer> concurrencies = List.of(1, 100, 500, 1000);
        Duration warmup = Duration.ofSeconds(quick ? 1 : 3);
        Duration measured = Duration.ofSeconds(quick ? 3 : 10);
        List<ProxyBench.Row> rows = ProxyBench.run(work.resolve("proxy"), concurrencies, 20, 20, warmup, measured);
        StringBuilder table = new StringBuilder();
        table.append(String.format(
                Locale.ROOT,
                "Workload: each client streams a chat completion of 20 SSE chunks of about"
                        + " 230 bytes, 20 ms apart, and starts the next when it ends; %d s warm-up, %d s measured per row.%n%n",
                warmup.toSeconds(),
                measured.toSeconds()));
        table.append(
                "| concurrency | target | streams/s | chunks/s | first chunk p50 | p99 | max | chunk latency p50 | p99 | max | errors |\n");
        table.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (ProxyBench.Row row : rows) {
            if (row.chunks() == 0) {
                continue;
            }
            table.append(String.format(
                    Locale.ROOT,
                    "| %d | %s | %.0f | %.0f | %s | %s | %s | %s | %s | %s | %d |%n",
                    row.concurrency(),
                    row.target(),
                    row.streamsPerSecond(),
                    row.chunksPerSecond(),
                    ms(row.firstP50()),
                    ms(row.firstP99()),
                    ms(row.firstMax()),
                    ms(row.chunkP50()),
                    ms(row.chunkP99()),
                    ms(row.chunkMax()),
                    row.errors()));
        }
        table.append(String.format(
                Locale.ROOT,
                "%nNon-streaming answers (one JSON body of about 300 bytes), %d clients:%n%n"
                        + "| target | answers/s | response time p50 | p99 | max | added p99 | errors |%n|---|---:|---:|---:|---:|---:|---:|%n",
                ProxyBench.NON_STREAMING_CONCURRENCY));
        ProxyBench.Row directJson = ProxyBench.find(rows, "direct", ProxyBench.NON_STREAMING_CONCURRENCY, false);
        for (ProxyBench.Row row : rows) {
            if (row.chunks() == 0) {
                table.append(String.format(
                        Locale.ROOT,
                        "| %s | %.0f | %s | %s | %s | %s | %d |%n",
                        row.target(),
                        row.streamsPerSecond(),
                        ms(row.firstP50()),
                        ms(row.firstP99()),
                        ms(row.firstMax()),
                        ms(row.firstP99() - directJson.firstP99()),
                        row.errors()));
            }
        }
        table.append(
                "\nAdded by the proxy (its figure minus the direct connection's, same concurrency, same run):\n\n");
        table.append(
                "| concurrency | target | added first chunk p50 | added p99 | added chunk p50 | added p99 | p99 added first chunk vs nginx |\n");
        table.append("|---:|---|---:|---:|---:|---:|---:|\n");
        Map<String, double[]> firstSeries = new LinkedHashMap<>();
        Map<String, double[]> chunkSeries = new LinkedHashMap<>();
        List<String> proxies = ProxyBench.TARGETS.subList(1, ProxyBench.TARGETS.size());
        for (String target : proxies) {
            firstSeries.put(target, new double[concurrencies.size()]);
            chunkSeries.put(target, new double[concurrencies.size()]);
        }
        for (int i = 0; i < concurrencies.size(); i++) {
            int c = concurrencies.get(i);
            ProxyBench.Row direct = ProxyBench.find(rows, "direct", c, true);
            long nginxAdded = ProxyBench.find(rows, "nginx", c, true).firstP99() - direct.firstP99();
            for (String target : proxies) {
                ProxyBench.Row row = ProxyBench.find(rows, target, c, true);
                long addedFirst = row.firstP99() - direct.firstP99();
                long addedChunk = row.chunkP99() - direct.chunkP99();
                firstSeries.get(target)[i] = addedFirst / 1000.0;
                chunkSeries.get(target)[i] = addedChunk / 1000.0;
                table.append(String.format(
                        Locale.ROOT,
                        "| %d | %s | %s | %s | %s | %s | %s |%n",
                        c,
                        target,
                        ms(row.firstP50() - direct.firstP50()),
                        ms(addedFirst),
                        ms(row.chunkP50() - direct.chunkP50()),
                        ms(addedChunk),
                        target.equals("nginx")
                                ? "1"
                                : nginxAdded < 1000 || addedFirst < 0
                                        ? "n/a (within noise)"
                                        : String.format(Locale.ROOT, "%.2f×", (double) addedFirst / nginxAdded)));
            }
        }
        List<String> ticks = concurrencies.stream().map(String::valueOf).toList();
        Plot.lines(
                docs.resolve("benchmarks/proxy-added-first-chunk-p99.png"),
                "Added time to first chunk, p99",
                "concurrent streams",
                "ms added over a direct connection",
                ticks,
                firstSeries);
        Plot.lines(
                docs.resolve("benchmarks/proxy-added-chunk-p99.png"),
                "Added per-chunk latency, p99",
                "concurrent streams",
                "ms added over a direct connection",
                ticks,
                chunkSeries);
        table.append("\n![added time to first chunk](benchmarks/proxy-added-first-chunk-p99.png)\n");
        table.append("![added per-chunk latency](benchmarks/proxy-added-chunk-p99.png)\n");
        Report.replace(page, "proxy", table.toString());
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
                        + " 100 ms, in-JVM broker; time from RUNNING until every offset is committed.%n%n",
                chunks));
        table.append("| processor | chunks per stream | exchanges | events | seconds | events/s | vs bare count() |\n");
        table.append("|---|---:|---:|---:|---:|---:|---:|\n");
        for (PipelineBench.Run run : runs) {
            PipelineBench.Run bare = find(runs, "bare count()", run.chunksPerStream());
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
        PipelineBench.Run short20 = find(runs, "recording topology", 20);
        PipelineBench.Run long1400 = find(runs, "recording topology", 1400);
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
