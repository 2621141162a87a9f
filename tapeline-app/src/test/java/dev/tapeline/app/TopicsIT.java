package dev.tapeline.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tapeline.settings.SettingValues;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Tapeline's topics made to fit the cluster, and refused where an existing one does not. */
class TopicsIT {

    @RegisterExtension
    static final InJvmKafka kafka = new InJvmKafka();

    private Admin admin() {
        return Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()));
    }

    @Test
    void givenExistingTopicsThatDoNotFit_whenTapelineStarts_thenEveryMisfitIsNamedInOneError() throws Exception {
        Topics topics = new Topics("misfit.events", "misfit.recordings", "misfit.dead-letters", 3, -1, -1);
        try (Admin admin = admin()) {
            admin.createTopics(List.of(
                            new NewTopic("misfit.recordings", 3, (short) 1).configs(Map.of("cleanup.policy", "delete")),
                            new NewTopic("misfit.events", 2, (short) 1)
                                    .configs(Map.of("max.message.bytes", "1048588"))))
                    .all()
                    .get(30, TimeUnit.SECONDS);

            assertThatThrownBy(() -> topics.ensure(admin, KafkaCluster.describe(admin)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(
                            "misfit.recordings: cleanup.policy is delete; the recordings topic must be compacted")
                    .hasMessageContaining("misfit.events: has 2 partitions, --partitions says 3")
                    .hasMessageContaining("misfit.events: max.message.bytes is 1048588, below the 134217728 bytes");
        }
    }

    @Test
    void givenSeveralBrokersWhoseDefaultIsOneReplica_whenTopicsAreCreated_thenRefusedUnlessOneIsAskedFor()
            throws Exception {
        KafkaCluster threeBrokersDefaultOne = new KafkaCluster(3, 3, 1, 1);
        try (Admin admin = admin()) {
            assertThatThrownBy(() -> Topics.of(SettingValues.DEFAULTS)
                            .withRecordings("never.created")
                            .ensureRecordings(admin, threeBrokersDefaultOne))
                    .hasMessageContaining("Tapeline's topics would get 1 replica on a cluster of 3 brokers")
                    .hasMessageContaining("pass --replication-factor 3");
            assertThat(admin.listTopics().names().get()).doesNotContain("never.created");
        }
    }

    @Test
    void givenTheDevBroker_whenTopicsAreCreatedWithTheDefaults_thenTheBrokersDefaultsAndTheContractsSettings()
            throws Exception {
        Topics topics = new Topics("fit.events", "fit.recordings", "fit.dead-letters", -1, -1, -1);
        try (Admin admin = admin()) {
            List<String> warnings = topics.ensure(admin, KafkaCluster.describe(admin));

            assertThat(warnings).isEmpty();
            var described = admin.describeTopics(List.of("fit.events", "fit.recordings"))
                    .allTopicNames()
                    .get();
            assertThat(described.get("fit.events").partitions()).hasSize(3);
            assertThat(described.get("fit.events").partitions().get(0).replicas())
                    .hasSize(1);
            assertThat(topics.ensure(admin, KafkaCluster.describe(admin)))
                    .as("a second start checks, changes nothing")
                    .isEmpty();
        }
    }
}
