package dev.tapeline.app;

import dev.tapeline.agent.AgentConfig;
import dev.tapeline.agent.AgentMode;
import dev.tapeline.agent.Route;
import dev.tapeline.fixture.FixtureLayout;
import dev.tapeline.schema.registry.EmbeddedSchemaRegistry;
import dev.tapeline.schema.registry.InMemorySchemaRegistry;
import dev.tapeline.sink.FixtureSink;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A whole Tapeline in one JVM: the in-process broker and registry where no external ones are
 * given, then the pipeline. Closing it stops everything in reverse order; data stays on disk.
 */
public final class Stack implements AutoCloseable {

    /**
     * @param dataDir          broker, registry and processor state live here
     * @param bootstrapServers external Kafka, or null for the in-process broker
     * @param kafkaPort        in-process broker port (0 = free port)
     * @param controllerPort   in-process controller port (0 = free port)
     * @param registryUrl      external schema registry, or null for the in-process one
     * @param registryPort     in-process registry port (0 = free port)
     * @param host             agent listen address
     * @param port             agent port (0 = free port)
     * @param routes           agent routes
     * @param fixtures         fixture root
     * @param layout           fixture generation, storage dir and hash rules
     * @param components       the parts this JVM runs
     * @param mode             the agent's mode
     * @param secrets          secrets kept out of events beyond the built-in ones
     * @param kafkaConfig      settings for every Kafka client (security, group.instance.id, timeouts)
     * @param tuning           idle timeout, journal size, whether unfinished exchanges become fixtures
     */
    public record Settings(Path dataDir, String bootstrapServers, int kafkaPort, int controllerPort, String registryUrl,
            int registryPort, String host, int port, List<Route> routes, Path fixtures, FixtureLayout layout,
            Set<PipelineConfig.Component> components, AgentMode mode, Secrets secrets, Map<String, String> kafkaConfig,
            Tuning tuning) {

        public Settings {
            kafkaConfig = kafkaConfig == null ? Map.of() : Map.copyOf(kafkaConfig);
            tuning = tuning == null ? Tuning.DEFAULTS : tuning;
        }

        /** With the default tuning. */
        public Settings(Path dataDir, String bootstrapServers, int kafkaPort, int controllerPort, String registryUrl,
                int registryPort, String host, int port, List<Route> routes, Path fixtures, FixtureLayout layout,
                Set<PipelineConfig.Component> components, AgentMode mode, Secrets secrets, Map<String, String> kafkaConfig) {
            this(dataDir, bootstrapServers, kafkaPort, controllerPort, registryUrl, registryPort, host, port, routes, fixtures,
                    layout, components, mode, secrets, kafkaConfig, Tuning.DEFAULTS);
        }

        public Settings withTuning(Tuning newTuning) {
            return new Settings(dataDir, bootstrapServers, kafkaPort, controllerPort, registryUrl, registryPort, host, port,
                    routes, fixtures, layout, components, mode, secrets, kafkaConfig, newTuning);
        }

        /** With no extra Kafka client settings. */
        public Settings(Path dataDir, String bootstrapServers, int kafkaPort, int controllerPort, String registryUrl,
                int registryPort, String host, int port, List<Route> routes, Path fixtures, FixtureLayout layout,
                Set<PipelineConfig.Component> components, AgentMode mode, Secrets secrets) {
            this(dataDir, bootstrapServers, kafkaPort, controllerPort, registryUrl, registryPort, host, port, routes, fixtures,
                    layout, components, mode, secrets, Map.of());
        }

        /** With the built-in secrets only. */
        public Settings(Path dataDir, String bootstrapServers, int kafkaPort, int controllerPort, String registryUrl,
                int registryPort, String host, int port, List<Route> routes, Path fixtures, FixtureLayout layout,
                Set<PipelineConfig.Component> components, AgentMode mode) {
            this(dataDir, bootstrapServers, kafkaPort, controllerPort, registryUrl, registryPort, host, port, routes, fixtures,
                    layout, components, mode, Secrets.NONE);
        }

        /** Everything in one JVM, the in-process broker and registry on free ports. */
        public static Settings allInOne(Path dataDir, List<Route> routes, Path fixtures, AgentMode mode) {
            return allInOne(dataDir, routes, fixtures, FixtureLayout.current(), mode);
        }

        /** Everything in one JVM, writing fixtures in the given layout. */
        public static Settings allInOne(Path dataDir, List<Route> routes, Path fixtures, FixtureLayout layout,
                AgentMode mode) {
            return new Settings(dataDir, null, 0, 0, null, 0, "127.0.0.1", 0, routes, fixtures, layout,
                    EnumSet.allOf(PipelineConfig.Component.class), mode);
        }
    }

    /** Header names, query parameters and JSON body paths never published, beyond the built-in ones. */
    public record Secrets(Set<String> headers, Set<String> queryParams, List<String> bodyPaths) {

        public static final Secrets NONE = new Secrets(Set.of(), Set.of(), List.of());

        public Secrets {
            headers = headers == null ? Set.of() : Set.copyOf(headers);
            queryParams = queryParams == null ? Set.of() : Set.copyOf(queryParams);
            bodyPaths = bodyPaths == null ? List.of() : List.copyOf(bodyPaths);
        }
    }

    static final long MIN_JOURNAL_BYTES = 16L << 20;

    /**
     * What the pipeline does with exchanges that go wrong (validated by {@link PipelineConfig}).
     *
     * @param idleTimeout     exchanges without an event this long are recorded as INCOMPLETE
     * @param journalMaxBytes how much unsent capture the agent keeps on disk while Kafka is away
     * @param writeIncomplete whether exchanges that broke off are written as fixtures too
     * @param shutdownGrace   how long a stopping agent lets open exchanges finish
     */
    public record Tuning(java.time.Duration idleTimeout, long journalMaxBytes, boolean writeIncomplete,
            java.time.Duration shutdownGrace) {

        /** With the default shutdown grace. */
        public Tuning(java.time.Duration idleTimeout, long journalMaxBytes, boolean writeIncomplete) {
            this(idleTimeout, journalMaxBytes, writeIncomplete, AgentConfig.DEFAULT_SHUTDOWN_GRACE);
        }

        public Tuning {
            List<String> problems = new java.util.ArrayList<>();
            if (idleTimeout == null || idleTimeout.isNegative() || idleTimeout.isZero()) {
                problems.add("idleTimeout: must be positive, got " + idleTimeout);
            }
            if (journalMaxBytes < MIN_JOURNAL_BYTES) {
                problems.add("journalMaxBytes: at least 16 MiB, got " + journalMaxBytes);
            }
            if (shutdownGrace == null || shutdownGrace.isNegative()) {
                problems.add("shutdownGrace: must be zero or positive, got " + shutdownGrace);
            }
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException("invalid tuning: " + String.join("; ", problems));
            }
        }

        public static final Tuning DEFAULTS = new Tuning(java.time.Duration.ofMinutes(10), 1L << 30, false);
    }

    private EmbeddedKafka kafka;
    private EmbeddedSchemaRegistry registry;
    private Pipeline pipeline;
    private String bootstrapServers;
    private String registryUrl;

    public static Stack start(Settings settings, Consumer<FixtureSink.Written> onFixture) throws Exception {
        Stack stack = new Stack();
        try {
            stack.startAll(settings, onFixture);
        } catch (Exception | Error e) {
            stack.close();
            throw e;
        }
        return stack;
    }

    private void startAll(Settings settings, Consumer<FixtureSink.Written> onFixture) throws Exception {
        Files.createDirectories(settings.dataDir());
        boolean kafkaNeeded = PipelineConfig.needsKafka(settings.components(), settings.mode());
        bootstrapServers = settings.bootstrapServers();
        if (bootstrapServers == null && kafkaNeeded) {
            kafka = EmbeddedKafka.start(settings.dataDir().resolve("kafka"), settings.kafkaPort(), settings.controllerPort());
            bootstrapServers = kafka.bootstrapServers();
        }
        registryUrl = settings.registryUrl();
        if (registryUrl == null && kafkaNeeded) {
            registry = EmbeddedSchemaRegistry.start(settings.registryPort(),
                    new InMemorySchemaRegistry(settings.dataDir().resolve("schemas.jsonl")));
            registryUrl = registry.url();
        }
        AgentConfig agent = AgentConfig.of(settings.host(), settings.port(), "tapeline-agent", settings.routes(),
                settings.mode()).withSecrets(settings.secrets().headers(), settings.secrets().queryParams(),
                settings.secrets().bodyPaths()).withShutdownGrace(settings.tuning().shutdownGrace());
        pipeline = Pipeline.start(new PipelineConfig(bootstrapServers, Map.copyOf(settings.kafkaConfig()), registryUrl,
                Topics.defaults(3, (short) 1), agent, settings.fixtures(), settings.layout(),
                settings.dataDir().resolve("streams"), "tapeline-processor", settings.components(),
                settings.dataDir().resolve("journal"), settings.tuning().journalMaxBytes(), settings.tuning().idleTimeout(),
                settings.tuning().writeIncomplete()), onFixture);
    }

    public int agentPort() {
        return pipeline.agentPort();
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public String registryUrl() {
        return registryUrl;
    }

    public Pipeline pipeline() {
        return pipeline;
    }

    @Override
    public void close() {
        if (pipeline != null) {
            pipeline.close();
        }
        if (registry != null) {
            registry.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }
}
