package dev.tapeline.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The in-process broker (dev mode) on a disk that fills: Kafka would halt the process, which is
 * all of Tapeline; instead the broker stops, says why, and starts again on the same address and
 * data once the disk has room, everything it had kept still there.
 */
class EmbeddedKafkaDiskFullIT {

    @TempDir
    Path dir;

    @Test
    void givenTheBrokersDiskFull_whenItFails_thenTheJvmLivesAndTheBrokerComesBackWithItsDataOnceThereIsRoom()
            throws Exception {
        Path data = dir.resolve("kafka");
        try (Tmpfs disk = Tmpfs.mount(data, "96m");
                EmbeddedKafka kafka = EmbeddedKafka.start(data, 0, 0)) {
            Map<String, Object> client = Map.of(
                    "bootstrap.servers",
                    kafka.bootstrapServers(),
                    "acks",
                    "all",
                    "delivery.timeout.ms",
                    10_000,
                    "request.timeout.ms",
                    5_000,
                    "linger.ms",
                    0);
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic("kept", 1, (short) 1)))
                        .all()
                        .get(30, TimeUnit.SECONDS);
            }
            try (KafkaProducer<String, String> producer =
                    new KafkaProducer<>(client, new StringSerializer(), new StringSerializer())) {
                for (int i = 0; i < 10; i++) {
                    producer.send(new ProducerRecord<>("kept", "k", "before " + i))
                            .get(30, TimeUnit.SECONDS);
                }
                Path filler = data.getParent().resolve("kafka").resolve("filler");
                Tmpfs.fill(filler);
                String large = "x".repeat(512 * 1024);
                try {
                    producer.send(new ProducerRecord<>("kept", "k", large)).get(30, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    // the broker cannot append it: expected, and the JVM is still here
                }
                await().atMost(Duration.ofSeconds(30)).until(() -> kafka.problem() != null);
                assertThat(kafka.problem())
                        .startsWith("its data directory " + data + " cannot be written: ")
                        .endsWith("No space left on device");

                Files.delete(filler);
                await().atMost(Duration.ofSeconds(90)).until(() -> kafka.problem() == null);
                producer.send(new ProducerRecord<>("kept", "k", "after")).get(60, TimeUnit.SECONDS);
            }
            List<String> values = new ArrayList<>();
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(
                    Map.of(
                            "bootstrap.servers",
                            kafka.bootstrapServers(),
                            "group.id",
                            "check",
                            "auto.offset.reset",
                            "earliest"),
                    new StringDeserializer(),
                    new StringDeserializer())) {
                consumer.subscribe(List.of("kept"));
                await().atMost(Duration.ofSeconds(60)).until(() -> {
                    for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                        values.add(record.value().length() > 20 ? "large" : record.value());
                    }
                    return values.contains("after");
                });
            }
            assertThat(values.subList(0, 10))
                    .containsExactly(
                            "before 0",
                            "before 1",
                            "before 2",
                            "before 3",
                            "before 4",
                            "before 5",
                            "before 6",
                            "before 7",
                            "before 8",
                            "before 9");
            assertThat(values).last().isEqualTo("after");
        }
    }
}
