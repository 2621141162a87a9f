package dev.tapeline.app;

import dev.tapeline.agent.AgentConfig;
import dev.tapeline.agent.AgentMode;
import dev.tapeline.agent.Route;
import dev.tapeline.fixture.FixtureLayout;
import dev.tapeline.schema.registry.InMemorySchemaRegistry;
import dev.tapeline.settings.SettingValues;
import dev.tapeline.sink.FixtureSink;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A whole Tapeline in one JVM: the in-process broker and registry where no external ones are
 * given, then the pipeline. Closing it stops everything in reverse order; data stays on disk.
 */
public final class Stack implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Stack.class);

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
     * @param settings         the services' settings (idle timeout, journal size, shutdown grace...)
     */
    public record Settings(
            Path dataDir,
            String bootstrapServers,
            int kafkaPort,
            int controllerPort,
            String registryUrl,
            int registryPort,
            String host,
            int port,
            List<Route> routes,
            Path fixtures,
            FixtureLayout layout,
            Set<PipelineConfig.Component> components,
            AgentMode mode,
            Secrets secrets,
            Map<String, String> kafkaConfig,
            SettingValues settings) {

        public Settings {
            secrets = secrets == null ? Secrets.NONE : secrets;
            kafkaConfig = kafkaConfig == null ? Map.of() : Map.copyOf(kafkaConfig);
            settings = settings == null ? SettingValues.DEFAULTS : settings;
        }

        /** Everything in one JVM, the in-process broker and registry on free ports, today's layout. */
        public static Settings allInOne(Path dataDir, List<Route> routes, Path fixtures, AgentMode mode) {
            return allInOne(dataDir, routes, fixtures, FixtureLayout.current(), mode);
        }

        /** Everything in one JVM, the in-process broker and registry on free ports, writing fixtures in the given layout. */
        public static Settings allInOne(
                Path dataDir, List<Route> routes, Path fixtures, FixtureLayout layout, AgentMode mode) {
            return new Settings(
                    dataDir,
                    null,
                    0,
                    0,
                    null,
                    0,
                    "127.0.0.1",
                    0,
                    routes,
                    fixtures,
                    layout,
                    PipelineConfig.ALL_IN_ONE,
                    mode,
                    Secrets.NONE,
                    Map.of(),
                    SettingValues.DEFAULTS);
        }

        /** On an existing Kafka cluster (and its registry, or null for the in-process one). */
        public Settings withKafka(String newBootstrapServers, String newRegistryUrl) {
            return new Settings(
                    dataDir,
                    newBootstrapServers,
                    kafkaPort,
                    controllerPort,
                    newRegistryUrl,
                    registryPort,
                    host,
                    port,
                    routes,
                    fixtures,
                    layout,
                    components,
                    mode,
                    secrets,
                    kafkaConfig,
                    settings);
        }

        /** Running only these parts. */
        public Settings withComponents(Set<PipelineConfig.Component> newComponents) {
            return new Settings(
                    dataDir,
                    bootstrapServers,
                    kafkaPort,
                    controllerPort,
                    registryUrl,
                    registryPort,
                    host,
                    port,
                    routes,
                    fixtures,
                    layout,
                    newComponents,
                    mode,
                    secrets,
                    kafkaConfig,
                    settings);
        }

        /** With these secrets and Kafka client settings. */
        public Settings withSecurity(Secrets newSecrets, Map<String, String> newKafkaConfig) {
            return new Settings(
                    dataDir,
                    bootstrapServers,
                    kafkaPort,
                    controllerPort,
                    registryUrl,
                    registryPort,
                    host,
                    port,
                    routes,
                    fixtures,
                    layout,
                    components,
                    mode,
                    newSecrets,
                    newKafkaConfig,
                    settings);
        }

        /** With these service settings. */
        public Settings withSettings(SettingValues newSettings) {
            return new Settings(
                    dataDir,
                    bootstrapServers,
                    kafkaPort,
                    controllerPort,
                    registryUrl,
                    registryPort,
                    host,
                    port,
                    routes,
                    fixtures,
                    layout,
                    components,
                    mode,
                    secrets,
                    kafkaConfig,
                    newSettings);
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
            kafka = EmbeddedKafka.start(
                    settings.dataDir().resolve("kafka"), settings.kafkaPort(), settings.controllerPort());
            bootstrapServers = kafka.bootstrapServers();
        }
        registryUrl = settings.registryUrl();
        if (registryUrl == null && kafkaNeeded && kafka == null) {
            if (!settings.components().containsAll(PipelineConfig.ALL_IN_ONE)) {
                throw new IllegalArgumentException("schema-registry-url: required where parts run apart on a Kafka"
                        + " cluster (--components " + settings.components() + "): every part must use one registry; an"
                        + " in-process one in each JVM would hand out schema ids no other part can resolve");
            }
            LOG.warn("no --schema-registry-url: running an in-process schema registry beside an external Kafka; readers"
                    + " of the topics elsewhere cannot resolve its schema ids");
        }
        if (registryUrl == null && kafkaNeeded) {
            registry = EmbeddedSchemaRegistry.start(
                    settings.registryPort(),
                    new InMemorySchemaRegistry(settings.dataDir().resolve("schemas.jsonl")));
            registryUrl = registry.url();
        }
        String agentId = settings.settings().get(AgentConfig.AGENT_ID);
        AgentConfig agent = AgentConfig.of(
                        settings.host(),
                        settings.port(),
                        agentId.isEmpty() ? AgentConfig.defaultAgentId(settings.port()) : agentId,
                        settings.routes(),
                        settings.mode())
                .withSecrets(
                        settings.secrets().headers(),
                        settings.secrets().queryParams(),
                        settings.secrets().bodyPaths())
                .withShutdownGrace(settings.settings().get(AgentConfig.SHUTDOWN_GRACE));
        pipeline = Pipeline.start(
                new PipelineConfig(
                        bootstrapServers,
                        Map.copyOf(settings.kafkaConfig()),
                        registryUrl,
                        Topics.of(settings.settings()),
                        agent,
                        settings.fixtures(),
                        settings.layout(),
                        settings.dataDir().resolve("streams"),
                        "tapeline-processor",
                        settings.components(),
                        settings.dataDir().resolve("journal"),
                        settings.dataDir().resolve("replay-events"),
                        settings.settings()),
                onFixture);
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
