package dev.tapeline.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tapeline.agent.proxy.RawHttp;
import dev.tapeline.fixture.python.PyJson;
import dev.tapeline.schema.Buffers;
import dev.tapeline.schema.Outcome;
import dev.tapeline.schema.Recording;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mixed traffic through {@code tapeline run} in its own JVM, as many clients at once as a test
 * suite runs: streams and answers read to their end, clients that close right after the last
 * byte, upstream errors, resets, hangs and stalls, clients that leave mid-stream. Every exchange
 * is accounted for: a fixture for each answer a client received whole, the documented outcome
 * for each other, exactly once on the recordings topic, and no client waits longer than the
 * upstream plus the agent's timeouts.
 */
class SoakIT {

    private static final int EXCHANGES = Integer.getInteger("tapeline.soak.exchanges", 20_000);
    private static final int CLIENTS = 32;
    /** The agent's upstream timeouts in this run (first byte and idle): a hang costs a client this long. */
    private static final Duration UPSTREAM_TIMEOUT = Duration.ofSeconds(1);
    /** The upstream's time (at most 0.3 s here) plus the timeout, with room for a loaded machine; far below a hang. */
    private static final Duration LONGEST_WAIT = Duration.ofSeconds(6);

    /** The simulated upstream answers with the words it is sent: a hundred more events, three seconds at 30 ms. */
    private static final String LONG_REPLY = " and so on".repeat(34);

    @TempDir
    Path dir;

    /** One kind of exchange: how often it comes, what the upstream does, how the client reads, what must be recorded. */
    private enum Kind {
        STREAM(10, true, "", Kind::whole, "COMPLETED"),
        ANSWER(8, false, "", Kind::whole, "COMPLETED"),
        STREAM_CLOSED_AT_LAST_BYTE(4, true, "", RawHttp.Received::lastByte, "COMPLETED"),
        ANSWER_CLOSED_AT_LAST_BYTE(4, false, "", RawHttp.Received::lastByte, "COMPLETED"),
        SERVER_ERROR(2, false, "X-Sim-Status: 500", Kind::whole, "COMPLETED"),
        RATE_LIMITED(1, false, "X-Sim-Status: 429", Kind::whole, "COMPLETED"),
        BAD_REQUEST(1, false, "X-Sim-Status: 400", Kind::whole, "COMPLETED"),
        UPSTREAM_RESET(2, true, "X-Sim-Break-After: 3", Kind::whole, "UPSTREAM_RESET"),
        UPSTREAM_HANGS(1, false, "X-Sim-Hang: true", Kind::whole, "UPSTREAM_TIMEOUT"),
        UPSTREAM_STALLS(1, true, "X-Sim-Stall-After: 3", Kind::whole, "UPSTREAM_TIMEOUT"),
        // the stream goes on for seconds after the client leaves: it cannot have been handed the rest meanwhile
        CLIENT_LEAVES(4, true, "X-Sim-Chunk-Interval: 30", r -> r.events() >= 2, "CLIENT_DISCONNECT");

        final int weight;
        final boolean stream;
        final String header;
        final Predicate<RawHttp.Received> enough;
        /** COMPLETED, or FAILED and the reason. */
        final String outcome;

        Kind(int weight, boolean stream, String header, Predicate<RawHttp.Received> enough, String outcome) {
            this.weight = weight;
            this.stream = stream;
            this.header = header;
            this.enough = enough;
            this.outcome = outcome.equals("COMPLETED") ? outcome : "FAILED " + outcome;
        }

        private static boolean whole(RawHttp.Received received) {
            return received.whole();
        }

        boolean fixture() {
            return outcome.equals("COMPLETED");
        }

        /** What the client must have seen. */
        void check(RawHttp.Received received) {
            switch (this) {
                case STREAM ->
                    assertThat(received.whole()
                                    && received.status() == 200
                                    && received.body().endsWith("data: [DONE]\n\n"))
                            .as("%s", received)
                            .isTrue();
                case ANSWER ->
                    assertThat(received.whole() && received.status() == 200)
                            .as("%s", received)
                            .isTrue();
                case STREAM_CLOSED_AT_LAST_BYTE, ANSWER_CLOSED_AT_LAST_BYTE ->
                    assertThat(received.lastByte() && received.status() == 200)
                            .as("%s", received)
                            .isTrue();
                case SERVER_ERROR, RATE_LIMITED, BAD_REQUEST ->
                    assertThat(received.whole()
                                    && received.status() == Integer.parseInt(header.substring(header.length() - 3)))
                            .as("%s", received)
                            .isTrue();
                case UPSTREAM_RESET, UPSTREAM_STALLS ->
                    assertThat(!received.whole()
                                    && received.closed()
                                    && received.status() == 200
                                    && received.events() == 3)
                            .as("%s", received)
                            .isTrue();
                case UPSTREAM_HANGS ->
                    assertThat(received.whole()
                                    && received.status() == 504
                                    && received.body().contains("upstream_timeout"))
                            .as("%s", received)
                            .isTrue();
                case CLIENT_LEAVES ->
                    assertThat(received.status() == 200 && received.events() >= 2)
                            .as("%s", received)
                            .isTrue();
            }
        }
    }

    /** What one client did and saw. */
    private record Exchange(int index, Kind kind, RawHttp.Received received, long waitedNanos) {}

    @Test
    void givenTwentyThousandMixedExchangesAt32Clients_whenTheyEnd_thenEveryOneIsAccountedFor() throws Exception {
        List<Kind> slots = new ArrayList<>();
        for (Kind kind : Kind.values()) {
            for (int i = 0; i < kind.weight; i++) {
                slots.add(kind);
            }
        }
        List<String> output = new CopyOnWriteArrayList<>();
        try (SimulatedUpstream upstream = SimulatedUpstream.start(5)) {
            ChildJvm child = ChildJvm.run(
                    List.of(
                            "--data-dir",
                            dir.resolve("data").toString(),
                            "--fixtures",
                            dir.resolve("fixtures").toString(),
                            "--port",
                            String.valueOf(Ports.free()),
                            "--kafka-port",
                            String.valueOf(Ports.free()),
                            "--controller-port",
                            String.valueOf(Ports.free()),
                            "--registry-port",
                            String.valueOf(Ports.free()),
                            "--metrics-port",
                            "-1",
                            "--upstream",
                            upstream.url(),
                            "--recorded-base-url",
                            "http://localhost:8000/v1",
                            "--upstream-first-byte-timeout",
                            UPSTREAM_TIMEOUT.toMillis() + "ms",
                            "--upstream-idle-timeout",
                            UPSTREAM_TIMEOUT.toMillis() + "ms"),
                    output);
            try {
                Map<String, String> banner = child.awaitBanner(output, Duration.ofSeconds(90));
                int port = URI.create(banner.get("Point clients at").split("\\s+")[0])
                        .getPort();

                long started = System.nanoTime();
                List<Exchange> exchanges = run(port, slots);
                phase("clients done", started);
                exchanges.stream()
                        .collect(Collectors.groupingBy(Exchange::kind, TreeMap::new, Collectors.toList()))
                        .forEach((kind, list) -> {
                            long[] waits = list.stream()
                                    .mapToLong(Exchange::waitedNanos)
                                    .sorted()
                                    .toArray();
                            System.out.printf(
                                    "soak: %s x%d waited p50 %.0f ms, max %.0f ms%n",
                                    kind, waits.length, waits[waits.length / 2] / 1e6, waits[waits.length - 1] / 1e6);
                        });

                Map<Kind, Long> byKind = exchanges.stream()
                        .collect(Collectors.groupingBy(Exchange::kind, TreeMap::new, Collectors.counting()));
                assertThat(byKind).hasSize(Kind.values().length);
                exchanges.forEach(exchange -> exchange.kind().check(exchange.received()));
                long longest = exchanges.stream()
                        .mapToLong(Exchange::waitedNanos)
                        .max()
                        .orElseThrow();
                assertThat(Duration.ofNanos(longest))
                        .as("the longest any client waited")
                        .isLessThan(LONGEST_WAIT);

                Map<Integer, List<Recording>> recordings = RecordingsOnTopic.byExchange(
                        banner.get("Kafka"),
                        banner.get("Schema registry"),
                        SoakIT::indexOf,
                        EXCHANGES,
                        Duration.ofSeconds(3));
                phase("recordings read", started);
                List<String> mismatches = new ArrayList<>();
                for (Exchange exchange : exchanges) {
                    List<Recording> recorded = recordings.getOrDefault(exchange.index(), List.of());
                    String outcome =
                            recorded.size() == 1 ? outcomeOf(recorded.get(0)) : recorded.size() + " recordings";
                    if (!outcome.equals(exchange.kind().outcome)) {
                        mismatches.add("exchange " + exchange.index() + " (" + exchange.kind() + "): " + outcome
                                + (recorded.isEmpty()
                                        ? ""
                                        : " " + recorded.get(0).getOutcomeReason()));
                    }
                }
                assertThat(mismatches)
                        .as("exchanges not recorded once with their documented outcome")
                        .isEmpty();

                Set<Integer> expected = exchanges.stream()
                        .filter(e -> e.kind().fixture())
                        .map(Exchange::index)
                        .collect(Collectors.toSet());
                await().atMost(Duration.ofSeconds(120))
                        .pollInterval(Duration.ofSeconds(1))
                        .until(() -> fixtureCount(dir.resolve("fixtures")) >= expected.size());
                assertThat(fixtures(dir.resolve("fixtures")))
                        .as("a fixture for every answer received whole, once")
                        .containsExactlyInAnyOrderElementsOf(expected);
                phase("fixtures checked", started);
            } finally {
                child.process().toHandle().destroy();
                child.process().waitFor(60, TimeUnit.SECONDS);
            }
        }
    }

    private static void phase(String what, long startedNanos) {
        System.out.printf("soak: %s after %.1f s%n", what, (System.nanoTime() - startedNanos) / 1e9);
    }

    private static List<Exchange> run(int port, List<Kind> slots) throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        try {
            List<Future<Exchange>> futures = new ArrayList<>(EXCHANGES);
            for (int i = 0; i < EXCHANGES; i++) {
                int index = i;
                Kind kind = slots.get(i % slots.size());
                String body = "{\"model\":\"sim-1\",\"messages\":[{\"role\":\"user\",\"content\":\"soak " + index + " "
                        + kind.name().toLowerCase(java.util.Locale.ROOT)
                        + (kind == Kind.CLIENT_LEAVES ? LONG_REPLY : "") + "\"}]"
                        + (kind.stream ? ",\"stream\":true" : "") + "}";
                List<String> headers = new ArrayList<>(List.of("X-Test-Id: tests/integration/soak/test_soak.py::test_"
                        + kind.name().toLowerCase(java.util.Locale.ROOT)));
                if (!kind.header.isEmpty()) {
                    headers.add(kind.header);
                }
                byte[] request = RawHttp.post("/v1/chat/completions", body, headers.toArray(String[]::new));
                futures.add(clients.submit(() -> {
                    long start = System.nanoTime();
                    RawHttp.Received received = RawHttp.readThenClose(port, request, kind.enough);
                    return new Exchange(index, kind, received, System.nanoTime() - start);
                }));
            }
            List<Exchange> exchanges = new ArrayList<>(EXCHANGES);
            for (Future<Exchange> future : futures) {
                exchanges.add(future.get(5, TimeUnit.MINUTES));
            }
            return exchanges;
        } finally {
            clients.shutdownNow();
        }
    }

    /** COMPLETED, or the failure reason a recording carries ({@code REASON: message}). */
    private static String outcomeOf(Recording recording) {
        if (recording.getOutcome() == Outcome.COMPLETED) {
            return "COMPLETED";
        }
        String reason = String.valueOf(recording.getOutcomeReason());
        return recording.getOutcome() + " " + reason.substring(0, Math.max(0, reason.indexOf(':')));
    }

    /** The exchange a recording records: its index, in its request's message. */
    private static int indexOf(Recording recording) {
        return indexOf(PyJson.parse(Buffers.toArray(recording.getRequest().getBody())));
    }

    private static int indexOf(JsonNode requestBody) {
        return Integer.parseInt(
                requestBody.path("messages").path(0).path("content").asText().split(" ")[1]);
    }

    private static long fixtureCount(Path root) throws Exception {
        return FixtureFiles.visible(root).size();
    }

    /** The exchange each fixture file records. */
    private static List<Integer> fixtures(Path root) throws Exception {
        List<Integer> indexes = new ArrayList<>();
        for (Path file : FixtureFiles.visible(root)) {
            indexes.add(indexOf(
                    PyJson.parse(Files.readAllBytes(file)).path("request").path("body")));
        }
        return indexes;
    }
}
