package dev.tapeline.app.batch;

import dev.tapeline.sink.RecordingWriter;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * The records a batch tool wrote no fixture for, counted by reason for its summary line, each
 * named with its reason in the log: at INFO with {@code --verbose}, at DEBUG without.
 */
final class NotWrittenTally {

    private static final Logger LOG = LoggerFactory.getLogger(NotWrittenTally.class);

    private final Level level;
    private final Map<String, Long> byReason = new TreeMap<>();
    private long total;

    NotWrittenTally(boolean verbose) {
        this.level = verbose ? Level.INFO : Level.DEBUG;
    }

    /** Counts a record that became no file; {@code where} says which record (topic, partition, offset). */
    void add(String key, String where, RecordingWriter.Applied applied) {
        total++;
        byReason.merge(applied.label(), 1L, Long::sum);
        LOG.atLevel(level).log("not written: {} at {}: {}", key, where, applied.reason());
    }

    long total() {
        return total;
    }

    /** {@code 94 not written (90 broke off: FAILED CLIENT_DISCONNECT, 4 no fixture shape: POST /v1/x)}. */
    String summary() {
        if (total == 0) {
            return "0 not written";
        }
        StringBuilder text = new StringBuilder().append(total).append(" not written (");
        String separator = "";
        for (Map.Entry<String, Long> reason : byReason.entrySet()) {
            text.append(separator).append(reason.getValue()).append(' ').append(reason.getKey());
            separator = ", ";
        }
        return text.append(')').toString();
    }
}
