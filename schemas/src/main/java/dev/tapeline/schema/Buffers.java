package dev.tapeline.schema;

import java.nio.ByteBuffer;

/** Avro {@code bytes} fields arrive as ByteBuffers; these read them without moving their position. */
public final class Buffers {

    private Buffers() {}

    public static byte[] toArray(ByteBuffer buffer) {
        ByteBuffer copy = buffer.duplicate();
        byte[] bytes = new byte[copy.remaining()];
        copy.get(bytes);
        return bytes;
    }
}
