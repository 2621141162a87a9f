package dev.tapeline.agent.capture;

import dev.tapeline.schema.CaptureEvent;
import dev.tapeline.schema.ChunkReceived;
import dev.tapeline.schema.ExchangeCompleted;
import dev.tapeline.schema.ExchangeFailed;
import dev.tapeline.schema.FailureReason;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The writer thread: the in-memory queue into the journal. An exchange that lost an event ends
 * with an {@code ExchangeFailed(CAPTURE_LOST)} in place of its outcome, written into a reserve
 * of the journal kept for these markers, with the number of its chunks the journal did keep.
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

    private final BlockingQueue<CaptureEvent> queue;
    private final BlockingQueue<CaptureEvent> droppedFinals;
    private final EventJournal journal;
    private final Set<String> lossy;
    private final Losses losses;
    /** Exchanges that lost an event, with the number of their chunks the journal kept (this thread only). */
    private final Map<String, Long> keptChunks = new HashMap<>();

    /**
     * @param droppedFinals outcomes the queue could not take: their exchanges end CAPTURE_LOST
     * @param lossy         exchanges that lost an event (shared with the publisher)
     */
    JournalWriter(
            BlockingQueue<CaptureEvent> queue,
            BlockingQueue<CaptureEvent> droppedFinals,
            EventJournal journal,
            Set<String> lossy,
            Losses losses) {
        this.queue = queue;
        this.droppedFinals = droppedFinals;
        this.journal = journal;
        this.lossy = lossy;
        this.losses = losses;
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
            for (CaptureEvent dropped; (dropped = droppedFinals.poll()) != null; ) {
                appendMarker(dropped);
            }
            if (event == STOP) {
                return;
            }
            if (event != null) {
                journal(event);
            }
        }
    }

    private void journal(CaptureEvent event) {
        String id = event.getCompletionId();
        if (isFinal(event) && lossy.contains(id)) {
            appendMarker(event);
            return;
        }
        if (journal.append(EventCodec.encode(event))) {
            if (event.getPayload() instanceof ChunkReceived) {
                keptChunks.merge(id, 1L, Long::sum);
            } else if (isFinal(event)) {
                keptChunks.remove(id);
            }
            return;
        }
        losses.lost(event, "journal full");
        if (isFinal(event)) {
            appendMarker(event);
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
                        .setMessage("capture events of this exchange were not kept (agent queue or journal full)")
                        .setDurationNanos(duration)
                        .build())
                .build();
        if (!journal.append(EventCodec.encode(marker), MARKER_RESERVE_BYTES)) {
            LOG.error("exchange {}: even its CAPTURE_LOST marker cannot be kept; it stays open in the pipeline", id);
        }
        keptChunks.remove(id);
        lossy.remove(id);
    }
}
