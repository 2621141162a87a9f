package dev.tapeline.app;

import java.nio.file.Path;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Where an integration test's Kafka cluster and schema registry come from: this machine (the
 * default: broker JVMs from {@code kafka.Kafka}, the in-process registry), or containers
 * ({@code -Ptestcontainers}: {@code apache/kafka} and Apicurio Registry images, where a Docker
 * engine exists). Chosen by the system property {@code tapeline.it.infra}.
 */
public interface TestInfra {

    /** A Kafka cluster whose nodes a test can kill and start again (1-based ids). */
    interface Cluster extends AutoCloseable {
        String bootstrapServers();

        void kill(int node) throws Exception;

        void restart(int node) throws Exception;

        @Override
        void close();
    }

    /** A Confluent-compatible schema registry. */
    interface Registry extends AutoCloseable {
        String url();

        @Override
        void close();
    }

    /** {@code nodes} Kafka nodes (broker and controller each), 3 replicas per topic where there are 3. */
    Cluster cluster(Path dir, int nodes) throws Exception;

    Registry registry() throws Exception;

    /** Why this infrastructure cannot run here, or null. */
    String unavailable();

    /** The infrastructure {@code tapeline.it.infra} names: {@code local} (default) or {@code containers}. */
    static TestInfra current() {
        String name = System.getProperty("tapeline.it.infra", "local");
        return switch (name) {
            case "local" -> new Local();
            case "containers" -> {
                try {
                    yield (TestInfra) Class.forName("dev.tapeline.app.containers.ContainersInfra")
                            .getDeclaredConstructor()
                            .newInstance();
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(
                            "tapeline.it.infra=containers needs the testcontainers profile (-Ptestcontainers)", e);
                }
            }
            default ->
                throw new IllegalArgumentException("tapeline.it.infra: must be local or containers, got " + name);
        };
    }

    /** Skips a test class, with the reason, where the chosen infrastructure cannot run. */
    final class Available implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            String why = current().unavailable();
            return why == null
                    ? ConditionEvaluationResult.enabled("infrastructure available")
                    : ConditionEvaluationResult.disabled(why);
        }
    }

    /** This machine: Kafka nodes as JVMs of their own, the registry in this JVM. */
    final class Local implements TestInfra {
        @Override
        public Cluster cluster(Path dir, int nodes) throws Exception {
            LocalCluster cluster = LocalCluster.start(dir, nodes);
            return new Cluster() {
                @Override
                public String bootstrapServers() {
                    return cluster.bootstrapServers();
                }

                @Override
                public void kill(int node) throws Exception {
                    cluster.kill(node);
                }

                @Override
                public void restart(int node) throws Exception {
                    cluster.restart(node);
                }

                @Override
                public void close() {
                    cluster.close();
                }
            };
        }

        @Override
        public Registry registry() throws Exception {
            EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.start(0);
            return new Registry() {
                @Override
                public String url() {
                    return registry.url();
                }

                @Override
                public void close() {
                    registry.close();
                }
            };
        }

        @Override
        public String unavailable() {
            return null;
        }
    }
}
