package dev.tapeline.agent.capture;

import dev.tapeline.schema.CaptureEvent;
import dev.tapeline.schema.ChunkReceived;
import dev.tapeline.schema.ExchangeCompleted;
import dev.tapeline.schema.ExchangeFailed;
import dev.tapeline.schema.FailureReason;
import dev.tapeline.schema.serde.ConfluentAvroSerde;
import dev.tapeline.settings.LastingProblem;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The writer thread: the in-memory queue into the journal, each event serialized once into the
 * record Kafka will receive, as many as are queued appended in one write. An exchange that lost
 * an event ends with an {@code ExchangeFailed(CAPTURE_LOST)} in place of its outcome, written into
 * a reserve of the journal kept for these markers, with the number of its chunks the journal did
 * keep. On a disk fault (no space left before the journal's bound, an I/O error) the events that
 * cannot be written are lost the same way, the fault is said at WARN at once and then once a
 * minute, and the markers of their exchanges wait in memory until the disk takes writes again:
 * clients never wait for the disk.
 */
final class JournalWriter implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(JournalWriter.class);

    /** Journal space kept for CAPTURE_LOST markers beyond the bound. */
    static final long MARKER_RESERVE_BYTES = 1024 * 1024;

    /** Tells the writer to stop once everything before it is journaled. */
    static final CaptureEvent STOP = new CaptureEvent();

    /** Where the writer reports an event it could not keep. */
    interface Losses {
        void lost(CaptureEvent event, String why);
    }

    /** Events taken from the queue at once, journaled with one write. */
    static final int BATCH = 1024;

    /**
     * How long the writer rests after a batch smaller than {@link #BATCH}, so what arrives meanwhile
     * is journaled with one write: woken by every event, the writer cost a thread wake-up on the
     * event loop and a write per event (a profile of RECORD at 100 streams: 7% of the agent's CPU in
     * waking and waiting, docs/benchmarks.md). Capture events reach Kafka up to this much later;
     * clients see nothing of it.
     */
    static final long LINGER_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final BlockingQueue<CaptureEvent> queue;
    private final BlockingQueue<CaptureEvent> droppedFinals;
    private final EventJournal journal;
    private final Set<String> lossy;
    private final Losses losses;
    private final ConfluentAvroSerde<CaptureEvent> serde;
    private final ConfluentAvroSerde<CaptureEvent>.Encoder encoder;
    private final String topic;

    private final List<CaptureEvent> batch = new ArrayList<>(BATCH);
    private final List<byte[]> records = new ArrayList<>(BATCH);
    /** Exchanges that lost an event, with the number of their chunks the journal kept (this thread only). */
    private final Map<String, Long> keptChunks = new HashMap<>();

    /** CAPTURE_LOST markers the disk did not take, in order, written once it does (this thread only). */
    private final Map<String, CaptureEvent> waitingMarkers = new LinkedHashMap<>();

    /** At most this many markers wait; beyond it an exchange stays open in the pipeline. */
    static final int MAX_WAITING_MARKERS = 100_000;

    private final LastingProblem disk;

    /**
     * @param droppedFinals outcomes the queue could not take: their exchanges end CAPTURE_LOST
     * @param lossy         exchanges that lost an event (shared with the publisher)
     */
    JournalWriter(
            BlockingQueue<CaptureEvent> queue,
            BlockingQueue<CaptureEvent> droppedFinals,
            EventJournal journal,
            Set<String> lossy,
            Losses losses,
            ConfluentAvroSerde<CaptureEvent> serde,
            String topic,
            LastingProblem disk) {
        this.disk = disk;
        this.serde = serde;
        this.encoder = serde.encoder();
        this.topic = topic;
        this.queue = queue;
        this.droppedFinals = droppedFinals;
        this.journal = journal;
        this.lossy = lossy;
        this.losses = losses;
    }

    /** The schema id once the sender has resolved it; {@link ConfluentAvroSerde#UNRESOLVED_ID} before. */
    private int schemaId() {
        return serde.knownSchemaId(topic);
    }

    static boolean isFinal(CaptureEvent event) {
        return event.getPayload() instanceof ExchangeCompleted || event.getPayload() instanceof ExchangeFailed;
    }

    @Override
    public void run() {
        while (true) {
            CaptureEvent event;
            try {
                event = queue.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            writeWaitingMarkers();
            for (CaptureEvent dropped; (dropped = droppedFinals.poll()) != null; ) {
                appendMarker(dropped);
            }
            if (event == null) {
                continue;
            }
            batch.add(event);
            queue.drainTo(batch, BATCH - 1);
            // an event offered while the publisher closed may follow the stop: journaled all the same
            boolean stop = batch.removeIf(queued -> queued == STOP);
            boolean full = batch.size() == BATCH;
            journal();
            if (stop) {
                queue.drainTo(batch);
                journal();
                writeWaitingMarkers();
                if (!waitingMarkers.isEmpty()) {
                    LOG.error(
                            "{} exchanges lost capture events to a disk fault and their CAPTURE_LOST markers could not"
                                    + " be written either: they stay open in the pipeline until it calls them abandoned",
                            waitingMarkers.size());
                }
                return;
            }
            if (!full) {
                LockSupport.parkNanos(LINGER_NANOS);
            }
        }
    }

    /** Journals the batch in order: runs of plain events in one write, each marker where its exchange ends. */
    private void journal() {
        int from = 0;
        for (int i = 0; i < batch.size(); i++) {
            CaptureEvent event = batch.get(i);
            if (isFinal(event) && lossy.contains(event.getCompletionId())) {
                append(from, i);
                appendMarker(event);
                from = i + 1;
            } else {
                records.add(encoder.encode(event, schemaId()));
            }
        }
        append(from, batch.size());
        batch.clear();
    }

    /**
     * Appends the records of {@code batch[from, to)}, one write for all that fit; past the first
     * that does not, each as the journal's room allows, and the outcome of an exchange that lost
     * one of them turned into its marker.
     */
    private void append(int from, int to) {
        String fault = null;
        int kept;
        try {
            kept = records.isEmpty() ? 0 : journal.append(records, 0);
            diskWorks();
        } catch (UncheckedIOException e) {
            fault = diskFailed(e);
            kept = 0;
        }
        for (int i = from; i < to; i++) {
            CaptureEvent event = batch.get(i);
            if (i - from < kept) {
                kept(event);
            } else if (isFinal(event) && lossy.contains(event.getCompletionId())) {
                appendMarker(event);
            } else {
                // past the bound, each as the journal's room allows; none more once the disk failed
                String lost = fault != null ? fault : appendOne(records.get(i - from));
                if (lost == null) {
                    kept(event);
                    continue;
                }
                if (!lost.equals(JOURNAL_FULL)) {
                    fault = lost;
                }
                losses.lost(event, lost);
                if (isFinal(event)) {
                    appendMarker(event);
                }
            }
        }
        records.clear();
    }

    private static final String JOURNAL_FULL = "journal full";

    /** Appends one record: null when kept, else why not ({@link #JOURNAL_FULL}, or the disk's fault). */
    private String appendOne(byte[] record) {
        try {
            return journal.append(record) ? null : JOURNAL_FULL;
        } catch (UncheckedIOException e) {
            return diskFailed(e);
        }
    }

    /** Says a disk fault at once and then once a minute; what it is, for the events it loses. */
    private String diskFailed(UncheckedIOException e) {
        if (disk.met(java.time.Instant.now(), e.getMessage())) {
            LOG.warn(
                    "the event journal cannot be written ({}): capture events are lost until it can (their exchanges"
                            + " end CAPTURE_LOST); clients are not affected",
                    e.getMessage());
        }
        return "journal disk: " + e.getCause().getMessage();
    }

    private void diskWorks() {
        if (!disk.ongoing()) {
            return; // every write that works comes here: no clock read while nothing is wrong
        }
        Duration lasted = disk.over(java.time.Instant.now());
        if (lasted != null) {
            LOG.info("the event journal is written again after {} ms; capture goes on", lasted.toMillis());
        }
    }

    /** The markers the disk did not take before, in order, as long as it takes them. */
    private void writeWaitingMarkers() {
        for (var waiting = waitingMarkers.values().iterator(); waiting.hasNext(); ) {
            CaptureEvent marker = waiting.next();
            try {
                if (!journal.append(encoder.encode(marker, schemaId()), MARKER_RESERVE_BYTES)) {
                    return;
                }
                diskWorks();
            } catch (UncheckedIOException e) {
                diskFailed(e);
                return;
            }
            waiting.remove();
        }
    }

    private void kept(CaptureEvent event) {
        if (event.getPayload() instanceof ChunkReceived) {
            keptChunks.merge(event.getCompletionId(), 1L, Long::sum);
        } else if (isFinal(event)) {
            keptChunks.remove(event.getCompletionId());
        }
    }

    /** Ends an exchange that lost events with ExchangeFailed(CAPTURE_LOST) and the chunk count actually kept. */
    private void appendMarker(CaptureEvent finalEvent) {
        String id = finalEvent.getCompletionId();
        long duration = finalEvent.getPayload() instanceof ExchangeCompleted completed
                ? completed.getDurationNanos()
                : ((ExchangeFailed) finalEvent.getPayload()).getDurationNanos();
        CaptureEvent marker = CaptureEvent.newBuilder(finalEvent)
                .setPayload(ExchangeFailed.newBuilder()
                        .setChunkCount(keptChunks.getOrDefault(id, 0L))
                        .setReason(FailureReason.CAPTURE_LOST)
                        .setMessage(
                                "capture events of this exchange were not kept (agent queue full, journal full, or its disk refused them)")
                        .setDurationNanos(duration)
                        .build())
                .build();
        keptChunks.remove(id);
        lossy.remove(id);
        if (!waitingMarkers.isEmpty()) {
            waitMarker(marker); // after those waiting already, in order
            return;
        }
        try {
            if (!journal.append(encoder.encode(marker, schemaId()), MARKER_RESERVE_BYTES)) {
                LOG.error(
                        "exchange {}: even its CAPTURE_LOST marker cannot be kept; it stays open in the pipeline", id);
            }
        } catch (UncheckedIOException e) {
            diskFailed(e);
            waitMarker(marker);
        }
    }

    private void waitMarker(CaptureEvent marker) {
        if (waitingMarkers.size() >= MAX_WAITING_MARKERS) {
            LOG.error(
                    "exchange {}: its CAPTURE_LOST marker cannot wait for the disk ({} wait already); it stays open in"
                            + " the pipeline",
                    marker.getCompletionId(),
                    MAX_WAITING_MARKERS);
            return;
        }
        waitingMarkers.put(marker.getCompletionId(), marker);
    }
}
