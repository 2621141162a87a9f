package dev.tapeline.agent.capture;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EventJournalTest {

    @TempDir
    Path dir;

    private static byte[] record(int i) {
        return ("event-" + i).getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> texts(List<EventJournal.Entry> entries) {
        return entries.stream()
                .map(e -> new String(e.data(), StandardCharsets.UTF_8))
                .toList();
    }

    @Test
    void givenAppendedRecords_whenReadAndAcknowledgedInParts_thenEachReadOnceInOrder() throws Exception {
        try (EventJournal journal = new EventJournal(dir, 1 << 20, 64)) {
            for (int i = 0; i < 10; i++) {
                assertThat(journal.append(record(i))).isTrue();
            }
            List<EventJournal.Entry> first = journal.read(journal.checkpoint(), 4, 1 << 20, 0);
            journal.acknowledge(first.get(first.size() - 1).next());
            List<String> rest = new java.util.ArrayList<>();
            for (List<EventJournal.Entry> page;
                    !(page = journal.read(journal.checkpoint(), 100, 1 << 20, 0)).isEmpty(); ) {
                rest.addAll(texts(page));
                journal.acknowledge(page.get(page.size() - 1).next());
            }

            assertThat(texts(first)).containsExactly("event-0", "event-1", "event-2", "event-3");
            assertThat(rest).containsExactly("event-4", "event-5", "event-6", "event-7", "event-8", "event-9");
            assertThat(journal.pendingBytes()).isZero();
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.filter(p -> p.toString().endsWith(".log")).count())
                    .as("segments read and acknowledged are deleted")
                    .isEqualTo(1);
        }
    }

    @Test
    void givenUnacknowledgedRecords_whenTheJournalIsOpenedAgain_thenTheyAreReadAgainAfterTheCheckpoint()
            throws Exception {
        try (EventJournal journal = new EventJournal(dir, 1 << 20, 1 << 20)) {
            for (int i = 0; i < 5; i++) {
                journal.append(record(i));
            }
            journal.acknowledge(
                    journal.read(journal.checkpoint(), 2, 1 << 20, 0).get(1).next());
        }

        try (EventJournal reopened = new EventJournal(dir, 1 << 20, 1 << 20)) {
            reopened.append(record(5));

            assertThat(texts(reopened.read(reopened.checkpoint(), 100, 1 << 20, 0)))
                    .containsExactly("event-2", "event-3", "event-4", "event-5");
        }
    }

    @Test
    void givenATornRecordAtTheEnd_whenOpened_thenItIsCutOffAndAppendsContinueCleanly() throws Exception {
        try (EventJournal journal = new EventJournal(dir, 1 << 20, 1 << 20)) {
            journal.append(record(0));
            journal.append(record(1));
        }
        Path segment;
        try (Stream<Path> files = Files.list(dir)) {
            segment =
                    files.filter(p -> p.toString().endsWith(".log")).findFirst().orElseThrow();
        }
        try (FileChannel channel = FileChannel.open(segment, StandardOpenOption.WRITE)) {
            channel.truncate(channel.size() - 3); // the crash came mid-write
        }

        try (EventJournal journal = new EventJournal(dir, 1 << 20, 1 << 20)) {
            journal.append(record(2));

            assertThat(texts(journal.read(journal.checkpoint(), 100, 1 << 20, 0)))
                    .containsExactly("event-0", "event-2");
        }
    }

    @Test
    void givenTheBound_whenExceeded_thenRefusedUntilAcknowledged_andTheReserveTakesMarkers() throws Exception {
        try (EventJournal journal = new EventJournal(dir, 40, 1 << 20)) {
            assertThat(journal.append(record(0))).isTrue();
            assertThat(journal.append(record(1))).isTrue();
            assertThat(journal.append(record(2))).as("beyond 40 bytes").isFalse();
            assertThat(journal.append(record(3), 100)).as("within the reserve").isTrue();

            List<EventJournal.Entry> all = journal.read(journal.checkpoint(), 100, 1 << 20, 0);
            journal.acknowledge(all.get(all.size() - 1).next());

            assertThat(texts(all)).containsExactly("event-0", "event-1", "event-3");
            assertThat(journal.append(record(4))).isTrue();
        }
    }

    @Test
    void givenAnEmptyJournal_whenReadWithAWait_thenTheNextAppendIsSeen() throws Exception {
        try (EventJournal journal = new EventJournal(dir, 1 << 20, 1 << 20)) {
            Thread appender = new Thread(() -> {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
                journal.append(record(7));
            });
            appender.start();

            List<EventJournal.Entry> read = journal.read(journal.checkpoint(), 10, 1 << 20, 10_000);
            appender.join();

            assertThat(texts(read)).containsExactly("event-7");
        }
    }

    @Test
    void givenRecordsAppendedInOneCall_whenTheyCrossSegmentsAndTheBound_thenThoseThatFitAreKeptInOrderAcrossARestart()
            throws Exception {
        // 14 records of 16 bytes (8 header + 8 data): 3 per 48-byte segment, the bound at 10 of them
        List<byte[]> records = java.util.stream.IntStream.range(0, 14)
                .mapToObj(i -> String.format("rec-%04d", i).getBytes(StandardCharsets.UTF_8))
                .toList();
        try (EventJournal journal = new EventJournal(dir, 160, 48)) {
            assertThat(journal.append(records, 0)).isEqualTo(10);
            assertThat(journal.pendingBytes()).isEqualTo(160);
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.filter(f -> f.getFileName().toString().startsWith("seg-")))
                    .hasSize(4);
        }

        try (EventJournal reopened = new EventJournal(dir, 160, 48)) {
            List<String> read = new java.util.ArrayList<>();
            EventJournal.Position at = reopened.checkpoint();
            for (List<EventJournal.Entry> page; !(page = reopened.read(at, 100, 1 << 20, 0)).isEmpty(); ) {
                read.addAll(texts(page));
                at = page.get(page.size() - 1).next();
            }
            assertThat(read)
                    .containsExactlyElementsOf(records.subList(0, 10).stream()
                            .map(r -> new String(r, StandardCharsets.UTF_8))
                            .toList());
        }
    }

    @Test
    void givenARecordLargerThanTheWriteBuffer_whenAppended_thenReadBackWhole() throws Exception {
        byte[] large = new byte[700 * 1024];
        new java.util.Random(7).nextBytes(large);
        try (EventJournal journal = new EventJournal(dir, 1 << 24, 1 << 24)) {
            assertThat(journal.append(List.of(record(1), large, record(2)), 0)).isEqualTo(3);
            List<EventJournal.Entry> entries = journal.read(journal.checkpoint(), 10, 1 << 24, 0);
            assertThat(entries).hasSize(3);
            assertThat(entries.get(1).data()).isEqualTo(large);
            assertThat(entries.get(2).data()).isEqualTo(record(2));
        }
    }

    @Test
    void givenRecordsAcknowledgedWithinTheCheckpointInterval_whenTheProcessDiesWithoutClosing_thenTheyAreReadAgain()
            throws Exception {
        EventJournal dying = new EventJournal(dir, 1 << 20, 1 << 20, Duration.ofHours(1));
        for (int i = 0; i < 3; i++) {
            dying.append(record(i));
        }
        dying.sync();
        List<EventJournal.Entry> read = dying.read(dying.checkpoint(), 2, 1 << 20, 0);
        dying.acknowledge(read.get(1).next()); // within the checkpoint interval: not on disk yet

        // no close: the process died; the next start reads what was acknowledged again, loses nothing
        try (EventJournal restarted = new EventJournal(dir, 1 << 20, 1 << 20)) {
            assertThat(texts(restarted.read(restarted.checkpoint(), 10, 1 << 20, 0)))
                    .containsExactly("event-0", "event-1", "event-2");
        }
    }

    @Test
    void givenRecordsAcknowledged_whenTheJournalIsClosedWithinTheCheckpointInterval_thenTheNextStartReadsOnlyTheRest()
            throws Exception {
        try (EventJournal journal = new EventJournal(dir, 1 << 20, 1 << 20, Duration.ofHours(1))) {
            for (int i = 0; i < 3; i++) {
                journal.append(record(i));
            }
            journal.acknowledge(
                    journal.read(journal.checkpoint(), 2, 1 << 20, 0).get(1).next());
        }

        try (EventJournal restarted = new EventJournal(dir, 1 << 20, 1 << 20)) {
            assertThat(texts(restarted.read(restarted.checkpoint(), 10, 1 << 20, 0)))
                    .containsExactly("event-2");
        }
    }

    @Test
    void givenRecordsSpanningSeveralReadAheads_whenReadInOneCall_thenEachComesBackWholeAndInOrder() throws Exception {
        List<byte[]> records = new java.util.ArrayList<>();
        java.util.Random random = new java.util.Random(11);
        for (int i = 0; i < 3000; i++) {
            // mostly 1 KB, every 1,000th larger than the 1 MB read-ahead
            byte[] data = new byte[i % 1000 == 500 ? 1_500_000 : 1000 + i % 7];
            random.nextBytes(data);
            records.add(data);
        }
        try (EventJournal journal = new EventJournal(dir, 1L << 30, 1L << 30)) {
            assertThat(journal.append(records, 0)).isEqualTo(records.size());

            List<EventJournal.Entry> entries = journal.read(journal.checkpoint(), 10_000, 1L << 30, 0);

            assertThat(entries).hasSize(records.size());
            for (int i = 0; i < records.size(); i++) {
                assertThat(entries.get(i).data()).as("record %d", i).isEqualTo(records.get(i));
            }
        }
    }
}
