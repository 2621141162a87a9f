package dev.tapeline.app;

import dev.tapeline.agent.AgentConfig;
import dev.tapeline.agent.AgentMode;
import dev.tapeline.agent.Route;
import dev.tapeline.agent.UpstreamTimeouts;
import dev.tapeline.agent.capture.KafkaEventPublisher;
import dev.tapeline.agent.replay.ReplayLog;
import dev.tapeline.fixture.FixtureLayout;
import dev.tapeline.otel.OtelSettings;
import dev.tapeline.processor.ProcessorConfig;
import dev.tapeline.settings.Setting;
import dev.tapeline.settings.SettingValues;
import dev.tapeline.sink.SinkConfig;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Runs agent, processor and sink until Ctrl-C, on an in-process broker unless one is given. */
@Command(
        name = "run",
        mixinStandardHelpOptions = true,
        modelTransformer = RunCommand.Options.class,
        description =
                "Run the capture pipeline: point OPENAI_BASE_URL at the printed URL; fixtures appear under --fixtures.")
public final class RunCommand implements Callable<Integer> {

    /** The services' own settings this command offers, as each declares them. */
    static final List<Setting<?>> SETTINGS = Stream.of(
                    UpstreamTimeouts.OPTIONS,
                    List.of(
                            AgentConfig.AGENT_ID,
                            AgentConfig.SHUTDOWN_GRACE,
                            KafkaEventPublisher.JOURNAL_MAX_MB,
                            Route.OPENAI_SDK_VERSION),
                    Topics.OPTIONS,
                    ReplayLog.OPTIONS,
                    OtelSettings.OPTIONS,
                    ProcessorConfig.OPTIONS,
                    SinkConfig.OPTIONS)
            .<Setting<?>>flatMap(List::stream)
            .toList();

    /** Adds {@link #SETTINGS} to the command's options. */
    static final class Options implements picocli.CommandLine.IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            SettingOptions.addTo(spec, SETTINGS);
            return spec;
        }
    }

    @Option(
            names = "--data-dir",
            defaultValue = ".tapeline",
            description = "Broker, registry and processor state (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(
            names = "--fixtures",
            defaultValue = "fixtures",
            description = "Fixture repository root (default: ${DEFAULT-VALUE}).")
    Path fixtures;

    @Option(
            names = "--host",
            defaultValue = "127.0.0.1",
            description = "Agent listen address (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "8787", description = "Agent port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(
            names = "--upstream",
            defaultValue = "https://api.openai.com",
            description = "Upstream API base (default: ${DEFAULT-VALUE}).")
    String upstream;

    @Option(
            names = "--recorded-base-url",
            description = "Base URL the fixtures record, as the SDK was configured (default: <upstream>/v1).")
    String recordedBaseUrl;

    @Option(
            names = "--route",
            paramLabel = "SPEC",
            description = "An upstream route, repeatable: name=N,upstream=URL[,prefix=/p][,recorded-base-url=URL]"
                    + "[,openai-sdk-version=V][,connect-timeout=T][,first-byte-timeout=T][,idle-timeout=T]. Replaces"
                    + " --upstream; a request picks one by path prefix or by the X-Tapeline-Route header.")
    List<String> routeSpecs;

    @Option(names = "--bootstrap-servers", description = "External Kafka; without it an in-process KRaft broker runs.")
    String bootstrapServers;

    @Option(
            names = "--kafka-port",
            defaultValue = "19092",
            description = "In-process broker port (default: ${DEFAULT-VALUE}).")
    int kafkaPort;

    @Option(
            names = "--controller-port",
            defaultValue = "19093",
            description = "In-process controller port (default: ${DEFAULT-VALUE}).")
    int controllerPort;

    @Option(
            names = "--schema-registry-url",
            description = "External Confluent-compatible registry; without it an in-process one runs.")
    String registryUrl;

    @Option(
            names = "--registry-port",
            defaultValue = "18081",
            description = "In-process registry port (default: ${DEFAULT-VALUE}).")
    int registryPort;

    @picocli.CommandLine.Mixin
    LayoutOptions layoutOptions;

    @Option(
            names = "--redact-header",
            description = "Repeatable: a request header never published (beyond"
                    + " Authorization, api-key, x-api-key, cookies and the provider-data headers).")
    Set<String> redactHeaders = new LinkedHashSet<>();

    @Option(
            names = "--redact-query-param",
            description = "Repeatable: a query parameter whose value is masked (beyond key" + " and api_key).")
    Set<String> redactQueryParams = new LinkedHashSet<>();

    @Option(
            names = "--redact-body-path",
            description = "Repeatable: a JSON request body path whose value is masked before"
                    + " anything is published or looked up, e.g. extra_body.api_key or messages.*.token.")
    List<String> redactBodyPaths = new ArrayList<>();

    @Option(
            names = "--kafka-config",
            description = "Repeatable KEY=VALUE: a setting for every Kafka client (producers,"
                    + " Streams, consumers, admin), e.g. security.protocol=SASL_SSL or sasl.jaas.config=...")
    Map<String, String> kafkaConfig = new LinkedHashMap<>();

    @Option(
            names = "--mode",
            defaultValue = "RECORD",
            description =
                    "Agent mode: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}). REPLAY and LIVE need no Kafka.")
    AgentMode mode;

    @Option(
            names = "--components",
            split = ",",
            description = "Parts to run in this JVM, comma-separated: ${COMPLETION-CANDIDATES} (default: AGENT,"
                    + " PROCESSOR, SINK, and EXPORTER with --otlp-endpoint; only AGENT in modes that capture nothing).")
    Set<PipelineConfig.Component> components;

    @Spec
    CommandSpec spec;

    @Option(
            names = "--metrics-port",
            defaultValue = "9464",
            description = "Admin port: Prometheus /metrics, /health/live, /health/ready and the /inspector page; -1"
                    + " disables (default: ${DEFAULT-VALUE}).")
    int metricsPort;

    @Option(
            names = "--admin-host",
            defaultValue = "127.0.0.1",
            description = "Where the admin port listens (metrics, health, the inspector page, which shows captured"
                    + " traffic): loopback unless given (default: ${DEFAULT-VALUE}).")
    String adminHost;

    @Override
    public Integer call() throws Exception {
        long start = System.nanoTime();
        SettingValues settings = SettingOptions.read(spec, SETTINGS);
        String base = upstream.endsWith("/") ? upstream.substring(0, upstream.length() - 1) : upstream;
        List<Route> routes;
        try {
            UpstreamTimeouts timeouts = UpstreamTimeouts.of(settings);
            String sdkVersion = settings.get(Route.OPENAI_SDK_VERSION);
            String openaiSdkVersion = sdkVersion.isEmpty() ? null : sdkVersion;
            routes = routeSpecs == null || routeSpecs.isEmpty()
                    ? List.of(new Route(
                            "default",
                            "/",
                            URI.create(base),
                            recordedBaseUrl != null ? recordedBaseUrl : base + "/v1",
                            timeouts,
                            openaiSdkVersion))
                    : routeSpecs.stream()
                            .map(spec -> Route.parse(spec, timeouts, openaiSdkVersion))
                            .toList();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        if (components == null) {
            components = mode.captures()
                    ? EnumSet.copyOf(PipelineConfig.ALL_IN_ONE)
                    : EnumSet.of(PipelineConfig.Component.AGENT);
            if (mode.captures() && !settings.get(OtelSettings.OTLP_ENDPOINT).isEmpty()) {
                components.add(PipelineConfig.Component.EXPORTER);
            }
        }
        FixtureLayout layout = layoutOptions.layout(spec);
        Stack stack;
        try {
            stack = Stack.start(
                    new Stack.Settings(
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
                            new Stack.Secrets(redactHeaders, redactQueryParams, redactBodyPaths),
                            kafkaConfig,
                            settings),
                    written -> System.out.println(
                            "fixture " + written.result().name().toLowerCase() + ": " + written.path()));
        } catch (IllegalArgumentException e) {
            // a setting the configuration records refuse, with every problem named
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        AdminEndpoint metrics = metricsPort < 0
                ? null
                : AdminEndpoint.start(
                        adminHost,
                        metricsPort,
                        stack.pipeline()::scrapeMetrics,
                        stack.pipeline()::readiness,
                        stack.pipeline().inspector());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            System.out.println("stopping Tapeline...");
                            if (metrics != null) {
                                metrics.close();
                            }
                            stack.close();
                            stopped.countDown();
                        },
                        "tapeline-shutdown"));
        System.out.printf(
                """
                Tapeline is ready (%.1f s; mode %s; running %s).
                  Point clients at:  %s
                  Routes:            %s
                  Fixtures:          %s
                  Kafka:             %s
                  Schema registry:   %s
                  Metrics:           %s
                  Health:            %s
                  Inspector:         %s
                  Replay events:     %s
                Ctrl-C stops it; data in %s is kept.
                """,
                (System.nanoTime() - start) / 1e9,
                mode,
                components,
                stack.agentPort() < 0
                        ? "(no agent in this JVM)"
                        : String.format(
                                "http://%s:%d/v1   (export OPENAI_BASE_URL=http://%s:%d/v1)",
                                host, stack.agentPort(), host, stack.agentPort()),
                routes.stream()
                        .map(r -> r.name() + " " + r.prefix() + " -> " + r.upstream() + " (recorded as "
                                + r.recordedBaseUrl() + ")")
                        .toList(),
                fixtures.toAbsolutePath(),
                orNotUsed(stack.bootstrapServers()),
                orNotUsed(withoutCredentials(stack.registryUrl())),
                metrics == null ? "off" : "http://" + adminHost + ":" + metrics.port() + "/metrics",
                metrics == null ? "off" : "http://" + adminHost + ":" + metrics.port() + "/health/ready",
                metrics == null ? "off" : "http://" + adminHost + ":" + metrics.port() + "/inspector",
                replayEvents(stack),
                dataDir.toAbsolutePath());
        stopped.await();
        return 0;
    }

    /** Where a replaying agent's replay events go, for the banner. */
    private static String replayEvents(Stack stack) {
        ReplayLog log = stack.pipeline().replayLog();
        if (log == null) {
            return "(not replaying)";
        }
        return "run " + log.runId() + " -> " + log.file().toAbsolutePath()
                + (stack.bootstrapServers() == null ? "" : " and the topic " + Topics.REPLAY_EVENTS);
    }

    /** A URL as it may be printed: credentials in it replaced. */
    static String withoutCredentials(String url) {
        return url == null ? null : url.replaceFirst("//[^/@]*@", "//***@");
    }

    private static String orNotUsed(String value) {
        return value == null ? "(not used in this mode)" : value;
    }
}
