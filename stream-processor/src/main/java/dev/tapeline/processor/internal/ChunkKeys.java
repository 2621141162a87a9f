package dev.tapeline.processor.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;

/**
 * Keys of the chunk store: completion id (UTF-8), a 0 byte, the sequence as 8 big-endian bytes.
 * Byte order sorts the chunks of one exchange together and by sequence, so one range scan reads
 * them in order.
 */
public final class ChunkKeys {

    public static final Serde<Bytes> SERDE = Serdes.Bytes();

    private ChunkKeys() {}

    public static Bytes of(String completionId, long sequence) {
        byte[] id = completionId.getBytes(StandardCharsets.UTF_8);
        return Bytes.wrap(ByteBuffer.allocate(id.length + 9)
                .put(id)
                .put((byte) 0)
                .putLong(sequence)
                .array());
    }

    public static long sequenceOf(Bytes key) {
        byte[] bytes = key.get();
        return ByteBuffer.wrap(bytes, bytes.length - 8, 8).getLong();
    }
}
