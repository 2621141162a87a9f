package dev.tapeline.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The agent's heap against stream length: the agent alone in a JVM with {@code -Xmx256m}
 * (capturing into a broker, processor and sink in another JVM), 1,000 concurrent streams of 20 and
 * then of 1,400 chunks; the heap after each collection, from the JVM's GC log.
 */
final class MemoryBench {

    /** Heap after collections (MB) while one workload ran. */
    record Run(
            int chunks,
            int concurrency,
            double seconds,
            long streams,
            long chunksRelayed,
            long errors,
            int collections,
            int heapAfterGcMedianMb,
            int heapAfterGcMaxMb,
            int heapMaxMb) {}

    private static final Pattern PAUSE = Pattern.compile("Pause Young.*?(\\d+)M->(\\d+)M\\((\\d+)M\\)");

    private MemoryBench() {}

    static List<Run> run(Path work, int concurrency, Duration measured) throws Exception {
        List<Run> runs = new ArrayList<>();
        try (LoadUpstream upstream = LoadUpstream.start();
                Targets.ProxyProcess backend = Targets.backend(work.resolve("backend"))) {
            for (int chunks : new int[] {20, 1400}) {
                Path gcLog = work.resolve("agent-" + chunks + "-gc.log");
                try (Targets.ProxyProcess agent = Targets.agentOnly(
                        upstream.url(),
                        work.resolve("agent-" + chunks),
                        "127.0.0.1:" + backend.port,
                        "http://127.0.0.1:" + backend.registryPort,
                        "256m",
                        List.of("-Xlog:gc:file=" + gcLog.toAbsolutePath()))) {
                    LoadClient.Result result = LoadClient.run(
                            agent.url(),
                            new LoadClient.Workload(concurrency, chunks, 64, 20, Duration.ZERO, measured, true));
                    List<int[]> pauses = new ArrayList<>();
                    Matcher matcher = PAUSE.matcher(Files.readString(gcLog));
                    while (matcher.find()) {
                        pauses.add(new int[] {Integer.parseInt(matcher.group(2)), Integer.parseInt(matcher.group(3))});
                    }
                    int[] after = pauses.stream().mapToInt(p -> p[0]).sorted().toArray();
                    Run run = new Run(
                            chunks,
                            concurrency,
                            result.seconds(),
                            result.streams(),
                            result.chunks(),
                            result.errors(),
                            after.length,
                            after.length == 0 ? 0 : after[after.length / 2],
                            after.length == 0 ? 0 : after[after.length - 1],
                            pauses.stream().mapToInt(p -> p[1]).max().orElse(0));
                    System.out.println(run);
                    runs.add(run);
                }
            }
        }
        return runs;
    }
}
