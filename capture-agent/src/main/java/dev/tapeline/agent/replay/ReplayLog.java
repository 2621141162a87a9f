package dev.tapeline.agent.replay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tapeline.agent.proxy.ExchangeRequest;
import dev.tapeline.schema.ReplayEvent;
import dev.tapeline.schema.ReplayOutcome;
import dev.tapeline.settings.Setting;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a replaying agent answered, one {@link ReplayEvent} per request: a hit names the fixture
 * files that answered, a miss the nearest recording. Each goes, in order, to a JSON-lines file
 * ({@code <dir>/<run id>[.<shard>].jsonl}, always: REPLAY needs no Kafka) and to whatever else is
 * given (the {@code tapeline.replay.events} topic where Kafka is configured). Written off the event
 * loop, by one thread; {@link #close} writes what is left.
 */
public final class ReplayLog implements ReplayListener, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ReplayLog.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final DateTimeFormatter RUN_TIME =
            DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT).withZone(ZoneOffset.UTC);

    public static final Setting<String> RUN_ID = Setting.text(
            "run-id",
            "",
            "The test-suite run this replaying agent serves, in every replay event (letters, digits, . _ -); default:"
                    + " one made up at start (run-<UTC time>-<random>) and printed. Every shard of one run passes the same.");
    public static final Setting<String> SHARD = Setting.text(
            "shard",
            "",
            "The shard of the run this agent serves (letters, digits, . _ -), in every replay event; default: none.");
    /** What the command line offers. */
    public static final List<Setting<?>> OPTIONS = List.of(RUN_ID, SHARD);

    private final String runId;
    private final String shard;
    private final String agentId;
    private final Path fixtureRoot;
    private final Path file;
    private final Consumer<ReplayEvent> also;
    private final Clock clock;
    private final ExecutorService writer;
    private final BufferedWriter out;

    /**
     * @param runId       the run, or empty for one made up now
     * @param shard       the shard, or empty for none
     * @param dir         where the JSON-lines file goes
     * @param fixtureRoot what fixture paths are relative to
     * @param also        told of each event too (on the writer's thread), e.g. a Kafka producer
     */
    public ReplayLog(
            String runId,
            String shard,
            String agentId,
            Path dir,
            Path fixtureRoot,
            Consumer<ReplayEvent> also,
            Clock clock)
            throws IOException {
        this.runId = runId.isEmpty() ? newRunId(clock.instant()) : checked(RUN_ID, runId);
        this.shard = shard.isEmpty() ? null : checked(SHARD, shard);
        this.agentId = agentId;
        this.fixtureRoot = fixtureRoot.toAbsolutePath().normalize();
        this.also = also;
        this.clock = clock;
        Files.createDirectories(dir);
        this.file = dir.resolve(this.runId + (this.shard == null ? "" : "." + this.shard) + ".jsonl");
        this.out = Files.newBufferedWriter(
                file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        this.writer = Executors.newSingleThreadExecutor(r -> {
            Thread thread = new Thread(r, "tapeline-replay-log");
            thread.setDaemon(true);
            return thread;
        });
    }

    private static String checked(Setting<String> setting, String value) {
        if (!NAME.matcher(value).matches()) {
            throw new IllegalArgumentException(setting.name() + ": " + value
                    + " is not a name (1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit)");
        }
        return value;
    }

    static String newRunId(Instant now) {
        return "run-" + RUN_TIME.format(now) + "-"
                + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0x10000));
    }

    public String runId() {
        return runId;
    }

    /** The JSON-lines file the events go to. */
    public Path file() {
        return file;
    }

    @Override
    public void hit(ExchangeRequest request, FixtureReplay.Hit hit) {
        List<String> files = new ArrayList<>();
        hit.files().forEach(path -> files.add(relative(path)));
        emit(event(request, ReplayOutcome.HIT, hit.requestHash())
                .setFixtures(files)
                .build());
    }

    @Override
    public void miss(ExchangeRequest request, FixtureReplay.Miss miss) {
        emit(event(request, ReplayOutcome.MISS, miss.requestHash())
                .setNearest(
                        miss.nearest() == null ? null : relative(miss.nearest().file()))
                .build());
    }

    private ReplayEvent.Builder event(ExchangeRequest request, ReplayOutcome outcome, String hash) {
        return ReplayEvent.newBuilder()
                .setRunId(runId)
                .setShard(shard)
                .setAgentId(agentId)
                .setAtMs(clock.instant())
                .setOutcome(outcome)
                .setRequestHash(hash)
                .setFixtures(List.of())
                .setTestId(request.testId())
                .setMethod(request.method())
                .setEndpoint(request.endpoint())
                .setNearest(null);
    }

    private String relative(Path path) {
        Path absolute = path.toAbsolutePath().normalize();
        Path relative = absolute.startsWith(fixtureRoot) ? fixtureRoot.relativize(absolute) : absolute;
        return relative.toString().replace('\\', '/');
    }

    private void emit(ReplayEvent event) {
        writer.execute(() -> {
            try {
                out.write(JSON.writeValueAsString(toJson(event)));
                out.write('\n');
                out.flush();
            } catch (IOException e) {
                LOG.warn("replay event not written to {}: {}", file, e.toString());
            }
            also.accept(event);
        });
    }

    /** An event as a line of the file: the topic's fields, by the same names. */
    public static ObjectNode toJson(ReplayEvent event) {
        ObjectNode line = JSON.createObjectNode()
                .put("runId", event.getRunId())
                .put("shard", event.getShard())
                .put("agentId", event.getAgentId())
                .put("atMs", event.getAtMs().toEpochMilli())
                .put("outcome", event.getOutcome().name())
                .put("requestHash", event.getRequestHash());
        ArrayNode fixtures = line.putArray("fixtures");
        event.getFixtures().forEach(fixtures::add);
        return line.put("testId", event.getTestId())
                .put("method", event.getMethod())
                .put("endpoint", event.getEndpoint())
                .put("nearest", event.getNearest());
    }

    /** A line of the file read back; an {@link IllegalArgumentException} names what is wrong with it. */
    public static ReplayEvent fromJson(String line) {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
        }
        List<String> fixtures = new ArrayList<>();
        node.path("fixtures").forEach(f -> fixtures.add(f.asText()));
        try {
            return ReplayEvent.newBuilder()
                    .setRunId(text(node, "runId"))
                    .setShard(node.path("shard").isTextual() ? node.get("shard").asText() : null)
                    .setAgentId(text(node, "agentId"))
                    .setAtMs(Instant.ofEpochMilli(node.path("atMs").asLong()))
                    .setOutcome(ReplayOutcome.valueOf(text(node, "outcome")))
                    .setRequestHash(text(node, "requestHash"))
                    .setFixtures(fixtures)
                    .setTestId(
                            node.path("testId").isTextual() ? node.get("testId").asText() : null)
                    .setMethod(text(node, "method"))
                    .setEndpoint(text(node, "endpoint"))
                    .setNearest(
                            node.path("nearest").isTextual()
                                    ? node.get("nearest").asText()
                                    : null)
                    .build();
        } catch (org.apache.avro.AvroRuntimeException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual()) {
            throw new IllegalArgumentException("no " + field);
        }
        return value.asText();
    }

    /** Writes what is queued, then closes the file. */
    @Override
    public void close() {
        writer.shutdown();
        try {
            if (!writer.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("replay events still queued after 30 s were not written to {}", file);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close " + file, e);
        }
    }
}
