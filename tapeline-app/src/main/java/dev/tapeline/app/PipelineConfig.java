package dev.tapeline.app;

import dev.tapeline.agent.AgentConfig;
import dev.tapeline.agent.AgentMode;
import dev.tapeline.fixture.FixtureLayout;
import dev.tapeline.processor.ProcessorConfig;
import dev.tapeline.settings.Durations;
import dev.tapeline.settings.SettingValues;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything one Tapeline JVM runs: agent, processor and sink against one Kafka cluster and one
 * schema registry.
 *
 * @param bootstrapServers Kafka bootstrap servers
 * @param kafkaClientConfig extra settings for every Kafka client (security, timeouts)
 * @param registryUrl      Confluent-compatible schema registry
 * @param topics           topic names and layout
 * @param agent            capture agent settings
 * @param fixtureRoot      where the sink writes fixtures
 * @param layout           fixture generation, storage dir and hash rules
 * @param stateDir         Kafka Streams state directory
 * @param applicationId    Kafka Streams application id (also the sink's group id prefix)
 * @param components       which of agent, processor and sink this JVM runs
 * @param journalDir       the agent's event journal (kept across restarts)
 * @param settings         the services' settings (see each service's declarations), defaults for the rest
 */
public record PipelineConfig(
        String bootstrapServers,
        Map<String, Object> kafkaClientConfig,
        String registryUrl,
        Topics topics,
        AgentConfig agent,
        Path fixtureRoot,
        FixtureLayout layout,
        Path stateDir,
        String applicationId,
        Set<Component> components,
        Path journalDir,
        Path replayEventsDir,
        SettingValues settings) {

    /** The parts of the pipeline; each can run in its own JVM, as many times as needed. */
    public enum Component {
        AGENT,
        PROCESSOR,
        SINK,
        /** The recordings as OpenTelemetry GenAI spans and metrics over OTLP ({@code --otlp-endpoint}). */
        EXPORTER
    }

    /** The capture pipeline in one JVM: agent, processor and sink (the exporter only where asked for). */
    public static final Set<Component> ALL_IN_ONE = java.util.Collections.unmodifiableSet(
            java.util.EnumSet.of(Component.AGENT, Component.PROCESSOR, Component.SINK));

    /** Whether these components talk to Kafka at all: an agent that only replays or proxies does not. */
    public static boolean needsKafka(Set<Component> components, AgentMode mode) {
        return components.contains(Component.PROCESSOR)
                || components.contains(Component.SINK)
                || components.contains(Component.EXPORTER)
                || (components.contains(Component.AGENT) && mode.captures());
    }

    /**
     * Whether this JVM talks to Kafka: as {@link #needsKafka(Set, AgentMode)} says, or a replaying
     * agent given a Kafka cluster and a registry, for its replay events.
     */
    public boolean needsKafka() {
        return needsKafka(components, agent.mode()) || replayEventsToKafka();
    }

    /** Whether a replaying agent here sends its replay events to Kafka as well as to its file. */
    public boolean replayEventsToKafka() {
        return components.contains(Component.AGENT)
                && agent.mode().replays()
                && bootstrapServers != null
                && registryUrl != null;
    }

    public PipelineConfig {
        List<String> problems = new ArrayList<>();
        boolean kafka = agent != null && components != null && needsKafka(components, agent.mode());
        if (kafka && (bootstrapServers == null || bootstrapServers.isBlank())) {
            problems.add("bootstrapServers: required");
        }
        if (kafka && (registryUrl == null || registryUrl.isBlank())) {
            problems.add("registryUrl: required");
        }
        if (topics == null) {
            problems.add("topics: required");
        }
        if (agent == null) {
            problems.add("agent: required");
        }
        if (fixtureRoot == null) {
            problems.add("fixtureRoot: required");
        }
        if (layout == null) {
            problems.add("layout: required");
        }
        if (stateDir == null) {
            problems.add("stateDir: required");
        }
        if (applicationId == null || applicationId.isBlank()) {
            problems.add("applicationId: required");
        }
        if (journalDir == null) {
            problems.add("journalDir: required");
        }
        if (replayEventsDir == null) {
            problems.add("replayEventsDir: required");
        }
        if (settings == null) {
            problems.add("settings: required");
        }
        if (components != null
                && settings != null
                && components.contains(Component.EXPORTER)
                && settings.get(dev.tapeline.otel.OtelSettings.OTLP_ENDPOINT).isEmpty()) {
            problems.add(
                    dev.tapeline.otel.OtelSettings.OTLP_ENDPOINT.name() + ": required with the EXPORTER component");
        }
        if (components == null || components.isEmpty()) {
            problems.add("components: at least one of " + java.util.Arrays.toString(Component.values()));
        }
        if (agent != null
                && components != null
                && settings != null
                && agent.mode().captures()
                && components.contains(Component.AGENT)
                && components.contains(Component.PROCESSOR)) {
            java.time.Duration idleTimeout = settings.get(ProcessorConfig.IDLE_TIMEOUT);
            for (dev.tapeline.agent.Route route : agent.routes()) {
                if (route.timeouts().longest().compareTo(idleTimeout) >= 0) {
                    problems.add(ProcessorConfig.IDLE_TIMEOUT.name() + ": " + Durations.format(idleTimeout)
                            + " must be longer than every upstream timeout (route " + route.name() + ": "
                            + route.timeouts()
                            + "), or a stalled upstream is recorded as idle instead of UPSTREAM_TIMEOUT");
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid pipeline configuration: " + String.join("; ", problems));
        }
        kafkaClientConfig = Map.copyOf(kafkaClientConfig == null ? Map.of() : kafkaClientConfig);
        components = Set.copyOf(components);
    }
}
