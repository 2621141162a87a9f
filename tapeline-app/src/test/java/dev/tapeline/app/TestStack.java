package dev.tapeline.app;

import static org.awaitility.Awaitility.await;

import dev.tapeline.agent.AgentMode;
import dev.tapeline.agent.Route;
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

    TestStack(Path dir, List<Route> routes) throws Exception {
        this(dir, routes, AgentMode.RECORD);
    }

    TestStack(Path dir, List<Route> routes, AgentMode mode) throws Exception {
        this(dir, routes, dev.tapeline.fixture.FixtureLayout.current(), mode);
    }

    TestStack(Path dir, List<Route> routes, dev.tapeline.fixture.FixtureLayout layout, AgentMode mode)
            throws Exception {
        this.fixtures = dir.resolve("fixtures");
        this.stack = Stack.start(
                Stack.Settings.allInOne(dir.resolve("data"), routes, fixtures, layout, mode),
                w -> written.put(w.path(), w));
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
    }
}
