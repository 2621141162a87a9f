package dev.tapeline.sink;

import dev.tapeline.schema.DeadLetterHeaders;
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
 * the error and the record's position in the headers ({@link DeadLetterHeaders}).
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
        DeadLetterHeaders.add(headers, error, record.topic(), record.partition(), record.offset(), component);
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

    @Override
    public void close() {
        producer.close();
    }
}
