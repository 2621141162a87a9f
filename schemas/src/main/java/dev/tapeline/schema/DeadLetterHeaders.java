package dev.tapeline.schema;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Headers;

/**
 * What a record on the dead-letter topic says of itself, in the headers Kafka Streams' own
 * dead-letter records use ({@code __streams.errors.*}), so the topic reads the same whoever wrote
 * to it: the error, where the record was, and which part of Tapeline gave up on it. One method fills
 * them for the processor and the sink.
 */
public final class DeadLetterHeaders {

    public static final String EXCEPTION = "__streams.errors.exception";
    public static final String MESSAGE = "__streams.errors.message";
    public static final String STACKTRACE = "__streams.errors.stacktrace";
    public static final String TOPIC = "__streams.errors.topic";
    public static final String PARTITION = "__streams.errors.partition";
    public static final String OFFSET = "__streams.errors.offset";
    public static final String COMPONENT = "tapeline.errors.component";

    private DeadLetterHeaders() {}

    /**
     * Adds the error and the record's origin to {@code headers}.
     *
     * @param partition the record's partition, or -1 where it is not known (the processor's, from its state)
     * @param offset    the record's offset, or -1 where it is not known
     * @param component who gave up on it: {@code processor}, {@code sink}, {@code replay}
     */
    public static Headers add(
            Headers headers, Throwable error, String topic, int partition, long offset, String component) {
        StringWriter trace = new StringWriter();
        error.printStackTrace(new PrintWriter(trace));
        headers.add(EXCEPTION, utf8(error.getClass().getName()));
        headers.add(MESSAGE, utf8(String.valueOf(error.getMessage())));
        headers.add(STACKTRACE, utf8(trace.toString()));
        headers.add(TOPIC, utf8(topic));
        if (partition >= 0) {
            headers.add(PARTITION, utf8(Integer.toString(partition)));
        }
        if (offset >= 0) {
            headers.add(OFFSET, utf8(Long.toString(offset)));
        }
        headers.add(COMPONENT, utf8(component));
        return headers;
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
