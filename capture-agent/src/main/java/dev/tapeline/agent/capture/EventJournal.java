package dev.tapeline.agent.capture;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * A bounded, append-only journal of opaque records on local disk, read back in order by one
 * consumer that acknowledges how far it got. Records survive a restart of the process: what was
 * appended and not acknowledged is read again. Segments ({@code seg-<n>.log}) hold records as
 * {@code [int length][int crc32c][bytes]}; a torn record at the end of the last segment (a crash
 * mid-write) is cut off on open. The acknowledged position lives in {@code checkpoint}, replaced
 * atomically. Appends are written to the OS at once and forced to disk by {@link #sync()}.
 */
public final class EventJournal implements AutoCloseable {

    /** Where the reader is: a segment and a byte offset in it. */
    public record Position(long segment, long offset) implements Comparable<Position> {

        @Override
        public int compareTo(Position other) {
            return segment != other.segment ? Long.compare(segment, other.segment) : Long.compare(offset, other.offset);
        }
    }

    /** A record read back, and the position just after it. */
    public record Entry(byte[] data, Position next) {}

    private static final int HEADER = 8;

    /** The acknowledged position is written to disk at most this often. */
    static final Duration CHECKPOINT_INTERVAL = Duration.ofMillis(100);
    /** The reader reads this much of a segment at a time; a larger record is read on its own. */
    private static final int READ_AHEAD_BYTES = 1024 * 1024;

    /** Appends go through this buffer: one write for many small records, pieces of a large one. */
    private static final int WRITE_BUFFER_BYTES = 256 * 1024;

    private final Path dir;
    private final long checkpointIntervalNanos;
    private final long maxBytes;
    private final long segmentBytes;
    /** Segment number → its size in bytes (appended and visible to the reader). */
    private final TreeMap<Long, Long> segments = new TreeMap<>();

    private final ByteBuffer writes = ByteBuffer.allocateDirect(WRITE_BUFFER_BYTES);
    private final CRC32C crc = new CRC32C();

    private FileChannel appendChannel;
    private long appendSegment;
    private boolean dirty;
    /** The disk refused an append since the delivered segment was last given back. */
    private boolean refused;

    private Position checkpoint;
    /** The position last written to disk, and when. */
    private Position writtenCheckpoint;

    private long checkpointWrittenAtNanos = System.nanoTime();
    private long totalBytes;
    /** The segment the reader reads, open while it does (the reader's thread only). */
    private FileChannel readChannel;

    /** What the reader read of its segment (the reader's thread only). */
    private final ByteBuffer readAhead = ByteBuffer.allocate(READ_AHEAD_BYTES);

    private long readSegment = -1;

    /**
     * @param maxBytes     appends beyond this many unacknowledged bytes are refused
     * @param segmentBytes a segment is closed and a new one started beyond this size
     */
    public EventJournal(Path dir, long maxBytes, long segmentBytes) {
        this(dir, maxBytes, segmentBytes, CHECKPOINT_INTERVAL);
    }

    /** @param checkpointInterval the acknowledged position is written to disk at most this often */
    EventJournal(Path dir, long maxBytes, long segmentBytes, Duration checkpointInterval) {
        if (maxBytes <= 0 || segmentBytes <= 0) {
            throw new IllegalArgumentException("journal: maxBytes and segmentBytes must be positive");
        }
        this.checkpointIntervalNanos = checkpointInterval.toNanos();
        this.dir = dir;
        this.maxBytes = maxBytes;
        this.segmentBytes = segmentBytes;
        try {
            Files.createDirectories(dir);
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "seg-*.log")) {
                for (Path file : files) {
                    String name = file.getFileName().toString();
                    segments.put(Long.parseLong(name.substring(4, name.length() - 4)), Files.size(file));
                }
            }
            checkpoint = readCheckpoint();
            writtenCheckpoint = checkpoint;
            if (segments.isEmpty()) {
                segments.put(checkpoint.segment(), 0L);
            }
            appendSegment = segments.lastKey();
            segments.put(appendSegment, validLength(appendSegment));
            appendChannel =
                    FileChannel.open(segmentPath(appendSegment), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            appendChannel.truncate(segments.get(appendSegment));
            appendChannel.position(segments.get(appendSegment));
            if (checkpoint.compareTo(new Position(segments.firstKey(), 0)) < 0) {
                checkpoint = new Position(segments.firstKey(), 0);
            }
            totalBytes = pendingBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the event journal in " + dir, e);
        }
    }

    /** Appends a record; false (nothing written) when that would exceed the bound. */
    public synchronized boolean append(byte[] data) {
        return append(data, 0);
    }

    /**
     * Appends a record allowed to use {@code reserve} bytes beyond the bound (for the few records
     * that say what was lost); false (nothing written) when even that is exceeded.
     */
    public synchronized boolean append(byte[] data, long reserve) {
        return append(List.of(data), reserve) == 1;
    }

    /**
     * Appends records in order, as few writes as the segment size allows, until one would exceed
     * the bound (plus {@code reserve}); the number appended, those after it are not.
     */
    public synchronized int append(List<byte[]> records, long reserve) {
        int appended = 0;
        long startSegment = appendSegment;
        long startSize = segments.get(appendSegment);
        long startTotal = totalBytes;
        try {
            long segmentSize = segments.get(appendSegment);
            for (byte[] data : records) {
                long size = HEADER + (long) data.length;
                if (totalBytes + size > maxBytes + reserve) {
                    break;
                }
                if (segmentSize > 0 && segmentSize + size > segmentBytes) {
                    flushWrites();
                    segments.put(appendSegment, segmentSize);
                    roll();
                    segmentSize = 0;
                }
                crc.reset();
                crc.update(data);
                ensureRoom(HEADER);
                writes.putInt(data.length).putInt((int) crc.getValue());
                for (int at = 0; at < data.length; ) {
                    ensureRoom(1);
                    int n = Math.min(writes.remaining(), data.length - at);
                    writes.put(data, at, n);
                    at += n;
                }
                segmentSize += size;
                totalBytes += size;
                appended++;
            }
            flushWrites();
            segments.put(appendSegment, segmentSize);
        } catch (IOException e) {
            // nothing of this call stays: a record is in the journal whole or not at all
            rollBack(startSegment, startSize, startTotal, e);
            refused = true;
            freeDeliveredSegment();
            throw new UncheckedIOException("cannot append to the event journal in " + dir + ": " + e.getMessage(), e);
        }
        if (appended > 0) {
            dirty = true;
            notifyAll();
        }
        return appended;
    }

    /**
     * Undoes an append that failed part way (no space on the device, an I/O error): the segments it
     * started removed, the segment it appended to cut back to its length before, so the next append
     * goes where this one began and the reader never meets a torn record. Where even that fails the
     * journal cannot go on safely: that is thrown, with the first fault.
     */
    private void rollBack(long startSegment, long startSize, long startTotal, IOException cause) {
        writes.clear();
        try {
            if (appendSegment != startSegment) {
                appendChannel.close();
                while (appendSegment > startSegment) {
                    segments.remove(appendSegment);
                    Files.deleteIfExists(segmentPath(appendSegment));
                    appendSegment--;
                }
                appendChannel = FileChannel.open(segmentPath(startSegment), StandardOpenOption.WRITE);
            }
            appendChannel.truncate(startSize);
            appendChannel.position(startSize);
            segments.put(startSegment, startSize);
            totalBytes = startTotal;
        } catch (IOException e) {
            cause.addSuppressed(e);
            throw new IllegalStateException(
                    "the event journal in " + dir + " cannot be cut back after a failed append: " + e.getMessage(),
                    cause);
        }
    }

    /**
     * After an append the disk refused, as soon as everything appended was delivered (at once, or
     * at the acknowledgement that gets there): a new segment takes the next appends and the
     * delivered one is deleted. Segments are otherwise deleted only once the reader has moved past
     * them, so a disk filled by one segment that Kafka had long taken would never get its space back.
     */
    private void freeDeliveredSegment() {
        long size = segments.get(appendSegment);
        if (size == 0 || !checkpoint.equals(new Position(appendSegment, size))) {
            return;
        }
        long delivered = appendSegment;
        try {
            roll();
            segments.remove(delivered);
            Files.deleteIfExists(segmentPath(delivered));
            checkpoint = new Position(appendSegment, 0);
            refused = false;
            notifyAll(); // the reader lets go of the deleted segment: its space comes back then
        } catch (IOException e) {
            // no room even for a new segment's entry: tried again after the next refused append
        }
    }

    /** Writes out the buffer when it has less than {@code bytes} free. */
    private void ensureRoom(int bytes) throws IOException {
        if (writes.remaining() < bytes) {
            flushWrites();
        }
    }

    private void flushWrites() throws IOException {
        writes.flip();
        while (writes.hasRemaining()) {
            appendChannel.write(writes);
        }
        writes.clear();
    }

    private void roll() throws IOException {
        appendChannel.force(false);
        appendChannel.close();
        appendSegment++;
        segments.put(appendSegment, 0L);
        appendChannel = FileChannel.open(
                segmentPath(appendSegment),
                StandardOpenOption.CREATE,
                StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        dirty = false;
    }

    /**
     * Forces appended records to disk. A fault is thrown and the records stay to be forced again:
     * they are in the journal all the same, and the reader reads them.
     */
    public synchronized void sync() {
        if (!dirty) {
            return;
        }
        try {
            appendChannel.force(false);
            dirty = false;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot sync the event journal in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Where reading starts: just after the last acknowledged record. */
    public synchronized Position checkpoint() {
        return checkpoint;
    }

    /** Bytes appended and not yet acknowledged. */
    public synchronized long pendingBytes() {
        long bytes = 0;
        for (var segment : segments.entrySet()) {
            if (segment.getKey() > checkpoint.segment()) {
                bytes += segment.getValue();
            } else if (segment.getKey() == checkpoint.segment()) {
                bytes += segment.getValue() - checkpoint.offset();
            }
        }
        return bytes;
    }

    /**
     * Reads up to {@code maxRecords} records (about {@code maxBytes} at most) from {@code from},
     * waiting up to {@code waitMillis} for the first one to be appended.
     */
    public List<Entry> read(Position from, int maxRecords, long maxBytes, long waitMillis) throws InterruptedException {
        Position at = from;
        long segmentSize;
        synchronized (this) {
            long deadline = System.currentTimeMillis() + waitMillis;
            while (true) {
                at = skipFinishedSegment(at);
                segmentSize = segments.getOrDefault(at.segment(), 0L);
                long left = deadline - System.currentTimeMillis();
                if (at.offset() < segmentSize || left <= 0) {
                    break;
                }
                wait(left);
            }
        }
        List<Entry> entries = new ArrayList<>();
        if (at.offset() >= segmentSize) {
            if (readChannel != null && at.segment() != readSegment) {
                // the segment read last is finished (perhaps deleted): its space is freed once closed
                closeReadChannel();
            }
            return entries;
        }
        long bytes = 0;
        try {
            FileChannel channel = readChannel(at.segment());
            long offset = at.offset();
            // records are read from the file a buffer at a time, not two reads (and a size check) each
            ByteBuffer ahead = readAhead(channel, offset, segmentSize);
            long aheadFrom = offset;
            ByteBuffer header = ByteBuffer.allocate(HEADER);
            CRC32C check = new CRC32C();
            while (offset < segmentSize && entries.size() < maxRecords && bytes < maxBytes) {
                int inAhead = (int) (offset - aheadFrom);
                boolean headerAhead = inAhead + HEADER <= ahead.limit();
                int length = headerAhead ? ahead.getInt(inAhead) : -1;
                byte[] data;
                if (headerAhead && length >= 0 && inAhead + HEADER + (long) length <= ahead.limit()) {
                    data = record(ahead, inAhead, length, offset, check);
                } else if (aheadFrom != offset && (!headerAhead || HEADER + (long) length <= ahead.capacity())) {
                    // the record runs past what was read: read on from its start
                    readAhead(channel, offset, segmentSize);
                    aheadFrom = offset;
                    continue;
                } else {
                    data = readRecord(channel, offset, segmentSize, header, check); // larger than the buffer, or torn
                }
                offset += HEADER + data.length;
                bytes += HEADER + data.length;
                entries.add(new Entry(data, new Position(at.segment(), offset)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the event journal in " + dir, e);
        }
        return entries;
    }

    /** The read-ahead buffer, filled from {@code offset} up to its capacity or the segment's end. */
    private ByteBuffer readAhead(FileChannel channel, long offset, long segmentSize) throws IOException {
        readAhead.clear().limit((int) Math.min(readAhead.capacity(), segmentSize - offset));
        readFully(channel, readAhead, offset);
        return readAhead.flip();
    }

    /** The segment's channel for reading: kept open from read to read while the reader stays in it. */
    private FileChannel readChannel(long segment) throws IOException {
        if (segment != readSegment) {
            if (readChannel != null) {
                closeReadChannel();
            }
            readChannel = FileChannel.open(segmentPath(segment), StandardOpenOption.READ);
            readSegment = segment;
        }
        return readChannel;
    }

    private void closeReadChannel() {
        try {
            readChannel.close();
        } catch (IOException e) {
            // a read-only channel has nothing to lose on close
        }
        readChannel = null;
        readSegment = -1;
    }

    /** The start of the next segment when {@code at} is at the end of one that is no longer appended to. */
    private Position skipFinishedSegment(Position at) {
        while (at.segment() < appendSegment && at.offset() >= segments.getOrDefault(at.segment(), 0L)) {
            Long next = segments.higherKey(at.segment());
            at = new Position(next == null ? appendSegment : next, 0);
        }
        return at;
    }

    /**
     * Records up to {@code position} are delivered: remembers it, frees their space, deletes
     * finished segments. The position is written to disk at most every
     * {@link #CHECKPOINT_INTERVAL} (and on close): a restart after a crash reads again what was
     * acknowledged since, which the reader then delivers twice (a write, an fsync and a rename per
     * acknowledgement were a tenth of the agent's CPU in RECORD at 100 streams, docs/benchmarks.md).
     */
    public synchronized void acknowledge(Position position) {
        if (position.compareTo(checkpoint) <= 0) {
            return;
        }
        checkpoint = position;
        totalBytes = pendingBytes();
        try {
            // segments first: that frees space, and a checkpoint on disk older than the first segment
            // left means that segment's start (what was deleted was all acknowledged)
            while (segments.firstKey() < position.segment()) {
                Files.deleteIfExists(segmentPath(segments.firstKey()));
                segments.pollFirstEntry();
            }
            if (refused) {
                freeDeliveredSegment();
            }
            if (System.nanoTime() - checkpointWrittenAtNanos >= checkpointIntervalNanos) {
                writeCheckpoint();
            }
        } catch (IOException e) {
            // the position is kept and written at the next acknowledgement: meanwhile a crash would
            // send again what was acknowledged since the last checkpoint on disk (duplicates, no loss)
            throw new UncheckedIOException(
                    "cannot write the event journal checkpoint in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Replaces the checkpoint file with the acknowledged position, atomically. */
    private void writeCheckpoint() throws IOException {
        Position position = checkpoint;
        Path tmp = dir.resolve("checkpoint.tmp");
        Files.writeString(tmp, position.segment() + " " + position.offset() + "\n", StandardCharsets.US_ASCII);
        try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        try {
            Files.move(
                    tmp,
                    dir.resolve("checkpoint"),
                    StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, dir.resolve("checkpoint"), StandardCopyOption.REPLACE_EXISTING);
        }
        writtenCheckpoint = position;
        checkpointWrittenAtNanos = System.nanoTime();
    }

    private Position readCheckpoint() throws IOException {
        Path file = dir.resolve("checkpoint");
        if (!Files.exists(file)) {
            return new Position(segments.isEmpty() ? 0 : segments.firstKey(), 0);
        }
        String[] parts =
                Files.readString(file, StandardCharsets.US_ASCII).trim().split(" ");
        return new Position(Long.parseLong(parts[0]), Long.parseLong(parts[1]));
    }

    /** The length of the whole records at the start of a segment (a torn last record is left out). */
    private long validLength(long segment) throws IOException {
        Path path = segmentPath(segment);
        if (!Files.exists(path)) {
            return 0;
        }
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long offset = 0;
            long size = channel.size();
            ByteBuffer header = ByteBuffer.allocate(HEADER);
            CRC32C check = new CRC32C();
            while (offset + HEADER <= size) {
                try {
                    offset += HEADER + readRecord(channel, offset, size, header, check).length;
                } catch (IOException e) {
                    break;
                }
            }
            return offset;
        }
    }

    /** The record at {@code offset} of a segment of {@code size} bytes, read from the file. */
    private static byte[] readRecord(FileChannel channel, long offset, long size, ByteBuffer header, CRC32C check)
            throws IOException {
        header.clear();
        readFully(channel, header, offset);
        header.flip();
        int length = header.getInt();
        int crc = header.getInt();
        if (length < 0 || offset + HEADER + length > size) {
            throw new EOFException("torn record at " + offset);
        }
        byte[] data = new byte[length];
        readFully(channel, ByteBuffer.wrap(data), offset + HEADER);
        return checked(data, crc, offset, check);
    }

    /** The record of {@code length} bytes whose header starts at {@code at} in a buffer read ahead. */
    private static byte[] record(ByteBuffer ahead, int at, int length, long offset, CRC32C check) throws IOException {
        int crc = ahead.getInt(at + 4);
        byte[] data = new byte[length];
        ahead.get(at + HEADER, data);
        return checked(data, crc, offset, check);
    }

    private static byte[] checked(byte[] data, int crc, long offset, CRC32C check) throws IOException {
        check.reset();
        check.update(data);
        if ((int) check.getValue() != crc) {
            throw new IOException("corrupt record at " + offset);
        }
        return data;
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long offset) throws IOException {
        long position = offset;
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, position);
            if (n < 0) {
                throw new EOFException("end of segment at " + position);
            }
            position += n;
        }
    }

    private Path segmentPath(long segment) {
        String number = Long.toString(segment);
        return dir.resolve("seg-" + "0".repeat(Math.max(0, 12 - number.length())) + number + ".log");
    }

    @Override
    public synchronized void close() {
        try {
            appendChannel.force(false);
            appendChannel.close();
            if (!checkpoint.equals(writtenCheckpoint)) {
                writeCheckpoint();
            }
            if (readChannel != null) {
                readChannel.close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close the event journal in " + dir, e);
        }
    }
}
