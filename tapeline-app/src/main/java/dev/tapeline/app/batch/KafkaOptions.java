package dev.tapeline.app.batch;

import dev.tapeline.app.KafkaCluster;
import dev.tapeline.app.Topics;
import dev.tapeline.schema.Recording;
import dev.tapeline.schema.registry.RegistryConfig;
import dev.tapeline.schema.registry.RestSchemaRegistryClient;
import dev.tapeline.schema.registry.SchemaRegistryClient;
import dev.tapeline.schema.serde.ConfluentAvroSerde;
import dev.tapeline.settings.SettingValues;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Option;

/** How a batch command reaches an existing Kafka cluster and schema registry. */
public final class KafkaOptions {

    @Option(names = "--bootstrap-servers", required = true, description = "Kafka bootstrap servers.")
    String bootstrapServers;

    @Option(
            names = "--schema-registry-url",
            required = true,
            description = "Confluent-compatible schema registry (credentials as http://user:password@host:port).")
    String registryUrl;

    @Option(
            names = "--kafka-config",
            description =
                    "Repeatable KEY=VALUE: a setting for every Kafka client, e.g." + " security.protocol=SASL_SSL.")
    Map<String, String> kafkaConfig = new LinkedHashMap<>();

    /** The settings every client gets. */
    public Map<String, Object> clientConfig() {
        Map<String, Object> config = new HashMap<>(kafkaConfig);
        config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return config;
    }

    public SchemaRegistryClient registry() {
        return new RestSchemaRegistryClient(RegistryConfig.of(registryUrl));
    }

    /**
     * Says at once, in one line, when Kafka or the registry cannot be reached, before a command
     * starts reading or writing (Kafka's own clients would wait a minute and name neither).
     *
     * @throws dev.tapeline.app.Unavailable naming the address and its option
     */
    public void checkReachable() throws InterruptedException {
        try (Admin admin = KafkaCluster.connect(clientConfig(), bootstrapServers)) {
            // answered: nothing more to ask here
        }
        RestSchemaRegistryClient registry = new RestSchemaRegistryClient(RegistryConfig.of(registryUrl));
        String problem = registry.unreachableBecause();
        if (problem != null) {
            throw dev.tapeline.app.Unavailable.registry(registryUrl, new IllegalStateException(problem));
        }
    }

    /** For reading a range of a topic: committed records only, records up to the topics' limit, no commits. */
    public Map<String, Object> rangeReaderConfig() {
        Map<String, Object> config = clientConfig();
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, dev.tapeline.schema.Limits.MAX_RECORD_BYTES);
        return config;
    }

    /**
     * A producer of recordings to {@code topic}, which is created (compacted, to fit the cluster as
     * {@code topicSettings} say) if absent, or checked.
     */
    KafkaProducer<String, Recording> recordingsProducer(String topic, SettingValues topicSettings)
            throws InterruptedException, TimeoutException {
        try (Admin admin = KafkaCluster.connect(clientConfig(), bootstrapServers)) {
            Topics.of(topicSettings).withRecordings(topic).ensureRecordings(admin, KafkaCluster.describe(admin));
        }
        Map<String, Object> config = clientConfig();
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        config.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, dev.tapeline.schema.Limits.MAX_RECORD_BYTES);
        config.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 2L * dev.tapeline.schema.Limits.MAX_RECORD_BYTES);
        return new KafkaProducer<>(
                config,
                new StringSerializer(),
                ConfluentAvroSerde.<Recording>forValues(Recording.getClassSchema(), registry())
                        .serializer());
    }
}
