package dev.tapeline.schema;

/** Sizes every Tapeline topic, producer and consumer agrees on. */
public final class Limits {

    /**
     * The largest record on any Tapeline topic: a recording holds the request (up to 64 MB) and
     * the whole answer. Topics' {@code max.message.bytes}, producers' {@code max.request.size} and
     * consumers' fetch sizes are set to it; a recording beyond it becomes a FAILED stub.
     */
    public static final int MAX_RECORD_BYTES = 128 * 1024 * 1024;

    private Limits() {}
}
