package dev.tapeline.sink;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Keeps records the sink cannot read or write on the dead-letter topic, bytes as they were, with
 * the error and the record's position in the headers Kafka Streams' own dead-letter records use
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

    /**
     * Stores a record the sink cannot handle, bytes as they were, with the error and where the
     * record was in its headers, and waits until Kafka has it: only then may the sink go past it.
     *
     * @param component who gave up on it ({@code sink}, {@code replay})
     */
    public void store(ConsumerRecord<byte[], byte[]> record, Throwable error, String component) {
        RecordHeaders headers = new RecordHeaders();
        record.headers().forEach(headers::add);
        StringWriter trace = new StringWriter();
        error.printStackTrace(new PrintWriter(trace));
        headers.add("__streams.errors.exception", bytes(error.getClass().getName()));
        headers.add("__streams.errors.message", bytes(String.valueOf(error.getMessage())));
        headers.add("__streams.errors.stacktrace", bytes(trace.toString()));
        headers.add("__streams.errors.topic", bytes(record.topic()));
        headers.add("__streams.errors.partition", bytes(Integer.toString(record.partition())));
        headers.add("__streams.errors.offset", bytes(Long.toString(record.offset())));
        headers.add("tapeline.errors.component", bytes(component));
        try {
            producer.send(new ProducerRecord<>(topic, null, record.timestamp(), record.key(), record.value(), headers))
                    .get(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while storing a dead letter", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException(
                    "cannot store the record of " + record.topic() + "-" + record.partition() + " offset "
                            + record.offset() + " on " + topic + ": " + e,
                    e);
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        producer.close();
    }
}
