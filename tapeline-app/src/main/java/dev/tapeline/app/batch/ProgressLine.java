package dev.tapeline.app.batch;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Progress of a batch command: a bar redrawn in place on a terminal (records, bytes, rate, ETA),
 * a plain line every few seconds otherwise (logs, CI).
 */
final class ProgressLine {

    private final PrintStream out;
    private final boolean terminal;
    private final String unit;
    private final LongSupplier nanos;
    private final long started;
    private long lastPrinted;

    ProgressLine(PrintStream out, boolean terminal, String unit, LongSupplier nanos) {
        this.out = out;
        this.terminal = terminal;
        this.unit = unit;
        this.nanos = nanos;
        this.started = nanos.getAsLong();
        this.lastPrinted = started;
    }

    /** On stderr, a bar where stderr is a terminal. */
    static ProgressLine onStderr(String unit) {
        return new ProgressLine(System.err, System.console() != null, unit, System::nanoTime);
    }

    /** Done {@code done} of {@code total} (0: unknown), {@code bytes} read so far. */
    void update(long done, long total, long bytes) {
        long now = nanos.getAsLong();
        if (now - lastPrinted < (terminal ? 200_000_000L : 5_000_000_000L)) {
            return;
        }
        lastPrinted = now;
        print(done, total, bytes, now, false);
    }

    void finish(long done, long total, long bytes) {
        print(done, total, bytes, nanos.getAsLong(), true);
    }

    private void print(long done, long total, long bytes, long now, boolean last) {
        String line = line(done, total, bytes, (now - started) / 1e9);
        if (terminal) {
            out.print("\r" + line + (last ? "\n" : ""));
        } else {
            out.println(line);
        }
        out.flush();
    }

    /** One progress line: {@code [=====>    ] 52% 1,234/2,345 records, 12.3 MB, 410 records/s, ETA 0:03}. */
    String line(long done, long total, long bytes, double seconds) {
        double rate = seconds > 0 ? done / seconds : 0;
        StringBuilder line = new StringBuilder();
        if (total > 0) {
            int width = 24;
            int filled = (int) Math.min(width, width * done / total);
            line.append('[')
                    .append("=".repeat(filled))
                    .append(filled < width ? ">" : "")
                    .append(" ".repeat(Math.max(0, width - filled - 1)))
                    .append("] ")
                    .append(String.format(Locale.ROOT, "%3d%% ", Math.min(100, 100 * done / total)));
        }
        line.append(String.format(Locale.ROOT, "%,d", done));
        if (total > 0) {
            line.append(String.format(Locale.ROOT, "/%,d", total));
        }
        line.append(' ')
                .append(unit)
                .append(String.format(Locale.ROOT, ", %.1f MB, %,.0f %s/s", bytes / 1e6, rate, unit));
        if (total > 0 && rate > 0 && done < total) {
            long eta = Math.round((total - done) / rate);
            line.append(String.format(Locale.ROOT, ", ETA %d:%02d", eta / 60, eta % 60));
        }
        return line.toString();
    }
}
