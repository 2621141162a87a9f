package dev.tapeline.sink;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Keeps records the sink cannot read on the dead-letter topic, bytes as they were, with the
 * error and the record's position in the headers Kafka Streams' own dead-letter records use
 * ({@code __streams.errors.*}), so one topic reads the same whoever wrote to it.
 */
public final class DeadLetters implements AutoCloseable {

    private final String topic;
    private final KafkaProducer<byte[], byte[]> producer;

    public DeadLetters(String topic, Map<String, Object> producerConfig) {
        this.topic = topic;
        Map<String, Object> config = new HashMap<>(producerConfig);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        this.producer = new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Stores the unreadable record and waits until Kafka has it: only then may the sink go past it. */
    public void store(RecordDeserializationException error) {
        RecordHeaders headers = new RecordHeaders();
        error.headers().forEach(headers::add);
        Throwable cause = error.getCause() == null ? error : error.getCause();
        StringWriter trace = new StringWriter();
        cause.printStackTrace(new PrintWriter(trace));
        headers.add("__streams.errors.exception", bytes(cause.getClass().getName()));
        headers.add("__streams.errors.message", bytes(String.valueOf(cause.getMessage())));
        headers.add("__streams.errors.stacktrace", bytes(trace.toString()));
        headers.add("__streams.errors.topic", bytes(error.topicPartition().topic()));
        headers.add("__streams.errors.partition", bytes(Integer.toString(error.topicPartition().partition())));
        headers.add("__streams.errors.offset", bytes(Long.toString(error.offset())));
        headers.add("tapeline.errors.component", bytes("sink"));
        try {
            producer.send(new ProducerRecord<>(topic, null, error.timestamp(), array(error.keyBuffer()),
                    array(error.valueBuffer()), headers)).get(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while storing a dead letter", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot store the unreadable record of " + error.topicPartition() + " offset "
                    + error.offset() + " on " + topic + ": " + e, e);
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] array(ByteBuffer buffer) {
        if (buffer == null) {
            return null;
        }
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }

    @Override
    public void close() {
        producer.close();
    }
}
