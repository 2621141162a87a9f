package dev.tapeline.app;

import static org.awaitility.Awaitility.await;

import dev.tapeline.schema.Recording;
import dev.tapeline.schema.registry.RegistryConfig;
import dev.tapeline.schema.registry.RestSchemaRegistryClient;
import dev.tapeline.schema.serde.ConfluentAvroSerde;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** The committed recordings on {@code tapeline.recordings}, grouped by the exchange each records. */
final class RecordingsOnTopic {

    private RecordingsOnTopic() {}

    /**
     * Reads until {@code expected} exchanges have a recording, then on for {@code readOn} (a
     * duplicate would come late); {@code exchangeOf} tells which exchange a recording records.
     */
    static <K> Map<K, List<Recording>> byExchange(
            String bootstrap, String registryUrl, Function<Recording, K> exchangeOf, int expected, Duration readOn) {
        Map<K, List<Recording>> byExchange = new ConcurrentHashMap<>();
        Map<String, Object> config = Map.of(
                "bootstrap.servers",
                bootstrap,
                "group.id",
                "check-" + System.nanoTime(),
                "auto.offset.reset",
                "earliest",
                "isolation.level",
                "read_committed");
        try (KafkaConsumer<String, Recording> consumer = new KafkaConsumer<>(
                config,
                new StringDeserializer(),
                ConfluentAvroSerde.<Recording>forValues(
                        Recording.getClassSchema(), new RestSchemaRegistryClient(RegistryConfig.of(registryUrl))))) {
            consumer.subscribe(List.of("tapeline.recordings"));
            Runnable poll = () -> consumer.poll(Duration.ofMillis(500))
                    .forEach(record -> byExchange
                            .computeIfAbsent(exchangeOf.apply(record.value()), k -> new CopyOnWriteArrayList<>())
                            .add(record.value()));
            await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ZERO).until(() -> {
                poll.run();
                return byExchange.size() >= expected;
            });
            long until = System.nanoTime() + readOn.toNanos();
            while (System.nanoTime() < until) {
                poll.run();
            }
        }
        return byExchange;
    }
}
