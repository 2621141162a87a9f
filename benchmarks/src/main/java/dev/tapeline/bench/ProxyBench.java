package dev.tapeline.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The same streaming workload, at each concurrency, straight to the simulated upstream, through
 * nginx, through the agent proxying only (LIVE) and through the agent capturing into Kafka
 * (RECORD, dev mode: broker, processor and sink in its JVM), interleaved in one run.
 */
final class ProxyBench {

    /** One target at one concurrency; latencies in microseconds; {@code chunks} 0: non-streaming answers. */
    record Row(
            String target,
            int concurrency,
            int chunks,
            double streamsPerSecond,
            double chunksPerSecond,
            long firstP50,
            long firstP99,
            long firstMax,
            long chunkP50,
            long chunkP99,
            long chunkMax,
            long errors) {}

    static final List<String> TARGETS = List.of("direct", "nginx", "agent LIVE", "agent RECORD");

    private ProxyBench() {}

    static List<Row> run(
            Path work, List<Integer> concurrencies, int chunks, int intervalMs, Duration warmup, Duration measured)
            throws Exception {
        List<Row> rows = new ArrayList<>();
        try (LoadUpstream upstream = LoadUpstream.start();
                Targets.ProxyProcess nginx = Targets.nginx(upstream.url(), work.resolve("nginx"));
                Targets.ProxyProcess live =
                        Targets.agent("LIVE", upstream.url(), work.resolve("agent-live"), "1g", List.of());
                Targets.ProxyProcess record =
                        Targets.agent("RECORD", upstream.url(), work.resolve("agent-record"), "1g", List.of())) {
            Map<String, String> urls = new LinkedHashMap<>();
            urls.put("direct", upstream.url());
            urls.put("nginx", nginx.url());
            urls.put("agent LIVE", live.url());
            urls.put("agent RECORD", record.url());
            for (int concurrency : concurrencies) {
                for (Map.Entry<String, String> target : urls.entrySet()) {
                    rows.add(measure(target, concurrency, chunks, intervalMs, warmup, measured));
                }
            }
            // non-streaming answers (one JSON body), at one concurrency
            for (Map.Entry<String, String> target : urls.entrySet()) {
                rows.add(measure(target, NON_STREAMING_CONCURRENCY, 0, 0, warmup, measured));
            }
        }
        return rows;
    }

    static final int NON_STREAMING_CONCURRENCY = 100;

    private static Row measure(
            Map.Entry<String, String> target,
            int concurrency,
            int chunks,
            int intervalMs,
            Duration warmup,
            Duration measured)
            throws Exception {
        LoadClient.Result result = LoadClient.run(
                target.getValue(), new LoadClient.Workload(concurrency, chunks, 64, intervalMs, warmup, measured));
        Row row = new Row(
                target.getKey(),
                concurrency,
                chunks,
                result.streamsPerSecond(),
                result.chunksPerSecond(),
                result.firstChunk().getValueAtPercentile(50),
                result.firstChunk().getValueAtPercentile(99),
                result.firstChunk().getMaxValue(),
                result.chunk().getValueAtPercentile(50),
                result.chunk().getValueAtPercentile(99),
                result.chunk().getMaxValue(),
                result.errors());
        System.out.println(format(row));
        return row;
    }

    static String format(Row row) {
        return String.format(
                Locale.ROOT,
                "%-13s c=%4d  %8.0f streams/s %9.0f chunks/s  first p50 %6d us p99 %7d us"
                        + "  chunk p50 %6d us p99 %7d us max %7d us  errors %d",
                row.target(),
                row.concurrency(),
                row.streamsPerSecond(),
                row.chunksPerSecond(),
                row.firstP50(),
                row.firstP99(),
                row.chunkP50(),
                row.chunkP99(),
                row.chunkMax(),
                row.errors());
    }

    /** The row of a target at a concurrency. */
    static Row find(List<Row> rows, String target, int concurrency, boolean streaming) {
        return rows.stream()
                .filter(r ->
                        r.target().equals(target) && r.concurrency() == concurrency && (r.chunks() > 0) == streaming)
                .findFirst()
                .orElseThrow();
    }
}
