package dev.tapeline.app;

import dev.tapeline.schema.registry.RegistryConfig;
import dev.tapeline.schema.registry.RestSchemaRegistryClient;
import dev.tapeline.schema.registry.SchemaRegistryClient;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import picocli.CommandLine.Option;

/** How a batch command reaches an existing Kafka cluster and schema registry. */
final class KafkaOptions {

    @Option(names = "--bootstrap-servers", required = true, description = "Kafka bootstrap servers.")
    String bootstrapServers;

    @Option(names = "--schema-registry-url", required = true,
            description = "Confluent-compatible schema registry (credentials as http://user:password@host:port).")
    String registryUrl;

    @Option(names = "--kafka-config", description = "Repeatable KEY=VALUE: a setting for every Kafka client, e.g."
            + " security.protocol=SASL_SSL.")
    Map<String, String> kafkaConfig = new LinkedHashMap<>();

    /** The settings every client gets, records up to the topics' limit included. */
    Map<String, Object> clientConfig() {
        Map<String, Object> config = new HashMap<>(kafkaConfig);
        config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return config;
    }

    SchemaRegistryClient registry() {
        return new RestSchemaRegistryClient(RegistryConfig.of(registryUrl));
    }
}
