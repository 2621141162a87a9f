package dev.tapeline.bench;

import dev.tapeline.agent.AgentMode;
import dev.tapeline.agent.Route;
import dev.tapeline.app.Stack;
import dev.tapeline.sink.FixtureWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;

/**
 * Last chunk to fixture on disk: the whole pipeline in this JVM (dev mode), streams from the
 * simulated upstream; when the sink reports a fixture durable, the time since the upstream wrote
 * the stream's last chunk (its send time is in the chunk, same clock).
 */
final class FixtureLatencyBench {

    /** Milliseconds, from the last chunk written by the upstream to the fixture renamed into place and synced. */
    record Result(int concurrency, long fixtures, long skipped, double p50, double p99, double max) {}

    private static final Pattern LAST_STAMP = Pattern.compile("t=(\\d+);\\d+;");

    private FixtureLatencyBench() {}

    static Result run(Path work, int concurrency, Duration measured) throws Exception {
        Histogram latency = new Histogram(60_000_000L, 3);
        AtomicLong skipped = new AtomicLong();
        try (LoadUpstream upstream = LoadUpstream.start();
                Stack stack = Stack.start(
                        Stack.Settings.allInOne(
                                work.resolve("data"),
                                List.of(new Route(
                                        "bench", "/", URI.create(upstream.url()), "http://localhost:8000/v1")),
                                work.resolve("fixtures"),
                                AgentMode.RECORD),
                        written -> {
                            long now = System.nanoTime();
                            if (written.result() != FixtureWriter.Result.WRITTEN) {
                                return;
                            }
                            try {
                                Matcher stamp = LAST_STAMP.matcher(Files.readString(written.path()));
                                long last = -1;
                                while (stamp.find()) {
                                    last = Long.parseLong(stamp.group(1));
                                }
                                if (last > 0) {
                                    latency.recordValue(Math.max(0, (now - last) / 1000));
                                }
                            } catch (Exception e) {
                                skipped.incrementAndGet();
                            }
                        })) {
            LoadClient.run(
                    "http://127.0.0.1:" + stack.agentPort(),
                    new LoadClient.Workload(concurrency, 20, 64, 20, Duration.ofSeconds(3), measured, true));
            Thread.sleep(2_000); // the last fixtures
            return new Result(
                    concurrency,
                    latency.getTotalCount(),
                    skipped.get(),
                    latency.getValueAtPercentile(50) / 1000.0,
                    latency.getValueAtPercentile(99) / 1000.0,
                    latency.getMaxValue() / 1000.0);
        }
    }
}
