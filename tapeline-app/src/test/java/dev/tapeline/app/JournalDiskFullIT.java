package dev.tapeline.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tapeline.agent.AgentMode;
import dev.tapeline.agent.Route;
import dev.tapeline.agent.capture.EventJournal;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's event journal on a disk that is full before the journal's own bound (a real tmpfs):
 * an append that does not fit leaves nothing of itself (the reader never meets a torn record),
 * a delivered segment that fills the disk is given back, clients are not affected, and capture
 * goes on by itself.
 */
class JournalDiskFullIT {

    @TempDir
    Path dir;

    private static byte[] record(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> readAll(EventJournal journal) throws InterruptedException {
        return pending(journal).stream()
                .map(entry -> new String(entry.data(), StandardCharsets.UTF_8))
                .toList();
    }

    /** Everything appended and not acknowledged, from the checkpoint on. */
    private static List<EventJournal.Entry> pending(EventJournal journal) throws InterruptedException {
        return journal.read(journal.checkpoint(), 1_000, Long.MAX_VALUE, 0);
    }

    /** A journal of one (large) segment holding five records of 40 KB: most of a 256 KB disk. */
    private static EventJournal oneSegmentOf200Kb(Path journalDir) {
        EventJournal journal = new EventJournal(journalDir, 64L << 20, 64L << 20);
        byte[] piece = new byte[40 * 1024];
        for (int i = 0; i < 5; i++) {
            assertThat(journal.append(piece)).isTrue();
        }
        return journal;
    }

    private static long segmentBytes(Path journalDir) throws Exception {
        try (Stream<Path> files = Files.list(journalDir)) {
            long total = 0;
            for (Path file : files.filter(f -> f.getFileName().toString().startsWith("seg-"))
                    .toList()) {
                total += Files.size(file);
            }
            return total;
        }
    }

    @Test
    void givenADiskThatCannotHoldAnAppend_whenItFails_thenNothingOfItStaysAndTheNextAppendIsRead() throws Exception {
        Path journalDir = dir.resolve("journal");
        try (Tmpfs disk = Tmpfs.mount(journalDir, "256k")) {
            // segments of 64 KB: the failing append has rolled to new segments when the disk says no
            EventJournal journal = new EventJournal(journalDir, 64L << 20, 64 * 1024);
            assertThat(journal.append(List.of(record("a1"), record("a2")), 0)).isEqualTo(2);
            long before = segmentBytes(journalDir);

            byte[] tooLarge = new byte[1024 * 1024];
            List<byte[]> batch = List.of(record("b1"), tooLarge, record("b2"));
            assertThatThrownBy(() -> journal.append(batch, 0))
                    .isInstanceOf(UncheckedIOException.class)
                    .hasMessageContaining("No space left on device");
            assertThat(segmentBytes(journalDir))
                    .as("the failed append cut back")
                    .isEqualTo(before);
            try (Stream<Path> files = Files.list(journalDir)) {
                assertThat(files.map(f -> f.getFileName().toString())).containsExactly("seg-000000000000.log");
            }

            assertThat(journal.append(List.of(record("c1")), 0)).isEqualTo(1);
            assertThat(readAll(journal)).containsExactly("a1", "a2", "c1");
            journal.close();

            EventJournal reopened = new EventJournal(journalDir, 64L << 20, 64 * 1024);
            assertThat(readAll(reopened)).containsExactly("a1", "a2", "c1");
            reopened.close();
        }
    }

    @Test
    void givenOneDeliveredSegmentFillingTheDisk_whenAnAppendIsRefused_thenTheSegmentIsFreedAndTheNextAppendFits()
            throws Exception {
        Path journalDir = dir.resolve("journal");
        try (Tmpfs disk = Tmpfs.mount(journalDir, "256k")) {
            EventJournal journal = oneSegmentOf200Kb(journalDir);
            var delivered = pending(journal);
            journal.acknowledge(delivered.get(delivered.size() - 1).next());

            byte[] large = new byte[100 * 1024];
            assertThatThrownBy(() -> journal.append(large)).isInstanceOf(UncheckedIOException.class);
            assertThat(pending(journal))
                    .as("the reader lets go of the delivered segment")
                    .isEmpty();
            assertThat(journal.append(large)).isTrue();
            assertThat(pending(journal))
                    .singleElement()
                    .satisfies(entry -> assertThat(entry.data()).hasSize(large.length));
            journal.close();
        }
    }

    @Test
    void givenAnAppendRefusedWhileRecordsWereUndelivered_whenTheyAreAcknowledged_thenTheSegmentIsGivenBack()
            throws Exception {
        Path journalDir = dir.resolve("journal");
        try (Tmpfs disk = Tmpfs.mount(journalDir, "256k")) {
            EventJournal journal = oneSegmentOf200Kb(journalDir);
            byte[] large = new byte[100 * 1024];
            assertThatThrownBy(() -> journal.append(large)).isInstanceOf(UncheckedIOException.class);

            var pending = pending(journal);
            assertThat(pending).hasSize(5);
            journal.acknowledge(pending.get(pending.size() - 1).next());
            assertThat(pending(journal))
                    .as("the reader lets go of the delivered segment")
                    .isEmpty();
            assertThat(journal.append(large)).as("the space is back").isTrue();
            journal.close();
        }
    }

    @Test
    void givenTheJournalDiskFillingUp_whenTrafficGoesOn_thenClientsAreServedAndCaptureResumesByItself()
            throws Exception {
        try (Tmpfs disk = Tmpfs.mount(dir.resolve("data").resolve("journal"), "512k");
                SimulatedUpstream upstream = SimulatedUpstream.start(0);
                TestStack stack = new TestStack(
                        dir,
                        List.of(new Route("sim", "/", URI.create(upstream.url()), "http://localhost:8000/v1")),
                        AgentMode.RECORD)) {
            HttpClient http =
                    HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            // about 3 MB of capture events through a 512 KB disk: it fills, and must empty again
            String padding = "lorem ipsum ".repeat(1_500);
            for (int i = 0; i < 80; i++) {
                HttpResponse<String> answer = http.send(
                        request(stack, "test_fill[" + i + "]", i + " " + padding),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(answer.statusCode()).isEqualTo(200);
                assertThat(answer.body()).contains(i + " lorem ipsum");
            }
            String metrics = stack.stack.pipeline().scrapeMetrics();
            assertThat(metrics)
                    .as("the disk refused some events")
                    .containsPattern("tapeline_agent_events_lost_total [1-9]");

            // once Kafka has every event the journal kept, the delivered segment is given back: room again
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> stack.stack
                            .pipeline()
                            .scrapeMetrics()
                            .contains("tapeline_agent_journal_pending_bytes 0.0"));
            int before = stack.written.size();
            for (int i = 0; i < 5; i++) {
                assertThat(http.send(
                                        request(stack, "test_after[" + i + "]", "hello " + i),
                                        HttpResponse.BodyHandlers.ofString())
                                .statusCode())
                        .isEqualTo(200);
            }
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> stack.written.values().stream()
                                    .filter(w -> w.path().toString().contains("recordings"))
                                    .map(w -> {
                                        try {
                                            return dev.tapeline.fixture.repo.FixtureFile.read(w.path())
                                                    .testId();
                                        } catch (java.io.IOException e) {
                                            throw new java.io.UncheckedIOException(e);
                                        }
                                    })
                                    .filter(id -> id.contains("test_after"))
                                    .count()
                            == 5);
            assertThat(stack.written.size()).isGreaterThanOrEqualTo(before + 5);
            assertThat(stack.stack.pipeline().scrapeMetrics()).contains("tapeline_agent_journal_writable 1.0");
        }
    }

    private static HttpRequest request(TestStack stack, String test, String content) {
        return HttpRequest.newBuilder(URI.create(stack.agentUrl() + "/v1/chat/completions"))
                .header("X-Test-Id", "tests/integration/disk/test_journal.py::" + test)
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"sim-1\",\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"" + content + "\"}]}"))
                .build();
    }
}
