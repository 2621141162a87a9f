package dev.tapeline.app;

import static org.awaitility.Awaitility.await;

import dev.tapeline.agent.AgentMode;
import dev.tapeline.agent.Route;
import dev.tapeline.fixture.FixtureLayout;
import dev.tapeline.settings.SettingValues;
import dev.tapeline.sink.FixtureSink;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** A whole Tapeline for integration tests: in-JVM KRaft broker, registry and pipeline, dynamic ports. */
final class TestStack implements AutoCloseable {

    final Stack stack;
    final Path fixtures;
    final Map<Path, FixtureSink.Written> written = new ConcurrentHashMap<>();
    /** Kafka and registry from outside the stack ({@link #onInfra}), closed with it; else empty. */
    private final List<AutoCloseable> infra;

    TestStack(Path dir, List<Route> routes) throws Exception {
        this(dir, routes, AgentMode.RECORD);
    }

    TestStack(Path dir, List<Route> routes, AgentMode mode) throws Exception {
        this(dir, routes, FixtureLayout.current(), mode);
    }

    TestStack(Path dir, List<Route> routes, FixtureLayout layout, AgentMode mode) throws Exception {
        this(
                dir,
                Stack.Settings.allInOne(dir.resolve("data"), routes, dir.resolve("fixtures"), layout, mode),
                List.of());
    }

    /** With these service settings (a replay's run id and shard, say). */
    TestStack(Path dir, List<Route> routes, AgentMode mode, SettingValues values) throws Exception {
        this(
                dir,
                Stack.Settings.allInOne(
                                dir.resolve("data"), routes, dir.resolve("fixtures"), FixtureLayout.current(), mode)
                        .withSettings(values),
                List.of());
    }

    private TestStack(Path dir, Stack.Settings settings, List<AutoCloseable> infra) throws Exception {
        this.fixtures = dir.resolve("fixtures");
        this.infra = infra;
        this.stack = Stack.start(settings, w -> written.put(w.path(), w));
    }

    /**
     * A recording stack on the infrastructure {@link TestInfra#current()} names: all in this JVM
     * by default, on a Kafka and a registry container with {@code -Ptestcontainers}.
     */
    static TestStack onInfra(Path dir, List<Route> routes) throws Exception {
        TestInfra infra = TestInfra.current();
        if (infra instanceof TestInfra.Local) {
            return new TestStack(dir, routes);
        }
        TestInfra.Cluster cluster = infra.cluster(dir.resolve("kafka"), 1);
        TestInfra.Registry registry = infra.registry();
        Stack.Settings settings = Stack.Settings.allInOne(
                        dir.resolve("data"), routes, dir.resolve("fixtures"), FixtureLayout.current(), AgentMode.RECORD)
                .withKafka(cluster.bootstrapServers(), registry.url());
        return new TestStack(dir, settings, List.of(registry, cluster));
    }

    String agentUrl() {
        return "http://127.0.0.1:" + stack.agentPort();
    }

    /** Waits until at least {@code count} distinct fixtures were written. */
    void awaitFixtures(int count) {
        await().atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> written.size() >= count);
    }

    @Override
    public void close() {
        stack.close();
        for (AutoCloseable closeable : infra) {
            try {
                closeable.close();
            } catch (Exception e) {
                throw new IllegalStateException("cannot stop the test's Kafka or registry", e);
            }
        }
    }
}
