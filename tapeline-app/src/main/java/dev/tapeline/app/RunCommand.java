package dev.tapeline.app;

import dev.tapeline.agent.Durations;
import dev.tapeline.agent.AgentMode;
import dev.tapeline.agent.Route;
import dev.tapeline.agent.UpstreamTimeouts;
import dev.tapeline.fixture.FixtureLayout;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Runs agent, processor and sink until Ctrl-C, on an in-process broker unless one is given. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run the capture pipeline: point OPENAI_BASE_URL at the printed URL; fixtures appear under --fixtures.")
final class RunCommand implements Callable<Integer> {

    @Option(names = "--data-dir", defaultValue = ".tapeline", description = "Broker, registry and processor state (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--fixtures", defaultValue = "fixtures", description = "Fixture repository root (default: ${DEFAULT-VALUE}).")
    Path fixtures;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Agent listen address (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "8787", description = "Agent port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--upstream", defaultValue = "https://api.openai.com", description = "Upstream API base (default: ${DEFAULT-VALUE}).")
    String upstream;

    @Option(names = "--recorded-base-url", description = "Base URL the fixtures record, as the SDK was configured (default: <upstream>/v1).")
    String recordedBaseUrl;

    @Option(names = "--route", paramLabel = "SPEC",
            description = "An upstream route, repeatable: name=N,upstream=URL[,prefix=/p][,recorded-base-url=URL]."
                    + " Replaces --upstream; a request picks one by path prefix or by the X-Tapeline-Route header.")
    List<String> routeSpecs;

    @Option(names = "--bootstrap-servers", description = "External Kafka; without it an in-process KRaft broker runs.")
    String bootstrapServers;

    @Option(names = "--kafka-port", defaultValue = "19092", description = "In-process broker port (default: ${DEFAULT-VALUE}).")
    int kafkaPort;

    @Option(names = "--controller-port", defaultValue = "19093", description = "In-process controller port (default: ${DEFAULT-VALUE}).")
    int controllerPort;

    @Option(names = "--schema-registry-url", description = "External Confluent-compatible registry; without it an in-process one runs.")
    String registryUrl;

    @Option(names = "--registry-port", defaultValue = "18081", description = "In-process registry port (default: ${DEFAULT-VALUE}).")
    int registryPort;

    @picocli.CommandLine.Mixin
    LayoutOptions layoutOptions;

    @Option(names = "--redact-header", description = "Repeatable: a request header never published (beyond"
            + " Authorization, api-key, x-api-key, cookies and the provider-data headers).")
    Set<String> redactHeaders = new java.util.LinkedHashSet<>();

    @Option(names = "--redact-query-param", description = "Repeatable: a query parameter whose value is masked (beyond key"
            + " and api_key).")
    Set<String> redactQueryParams = new java.util.LinkedHashSet<>();

    @Option(names = "--redact-body-path", description = "Repeatable: a JSON request body path whose value is masked before"
            + " anything is published or looked up, e.g. extra_body.api_key or messages.*.token.")
    List<String> redactBodyPaths = new ArrayList<>();

    @Option(names = "--kafka-config", description = "Repeatable KEY=VALUE: a setting for every Kafka client (producers,"
            + " Streams, consumers, admin), e.g. security.protocol=SASL_SSL or sasl.jaas.config=...")
    java.util.Map<String, String> kafkaConfig = new java.util.LinkedHashMap<>();

    @Option(names = "--idle-timeout", defaultValue = "10m", converter = Durations.class,
            description = "An exchange without an event this long (client gone, upstream stalled, agent died) is recorded"
                    + " as INCOMPLETE with the reason, e.g. 90s, 10m, 1h or PT10M (default: ${DEFAULT-VALUE}).")
    java.time.Duration idleTimeout;

    @Option(names = "--write-incomplete", description = "Also write exchanges that broke off (upstream reset, timeout,"
            + " idle) as fixtures, as llama-stack records an exception raised mid-call: the chunks received, then the"
            + " exception. Never replaces an existing fixture.")
    boolean writeIncomplete;

    @Option(names = "--upstream-connect-timeout", defaultValue = "10s", converter = Durations.class,
            description = "How long the agent waits for a connection to an upstream before answering 504 and recording"
                    + " UPSTREAM_TIMEOUT; a route's connect-timeout= overrides it (default: ${DEFAULT-VALUE}).")
    java.time.Duration upstreamConnectTimeout;

    @Option(names = "--upstream-first-byte-timeout", defaultValue = "5m", converter = Durations.class,
            description = "How long the agent waits for an upstream's status line, e.g. a long non-streaming generation;"
                    + " a route's first-byte-timeout= overrides it (default: ${DEFAULT-VALUE}).")
    java.time.Duration upstreamFirstByteTimeout;

    @Option(names = "--upstream-idle-timeout", defaultValue = "5m", converter = Durations.class,
            description = "How long the agent waits between two pieces of an upstream's response body before breaking"
                    + " the client's stream off; a route's idle-timeout= overrides it (default: ${DEFAULT-VALUE}).")
    java.time.Duration upstreamIdleTimeout;

    @Option(names = "--shutdown-grace", defaultValue = "30s", converter = Durations.class,
            description = "On Ctrl-C or SIGTERM: stop accepting, let open exchanges finish this long (those still open"
                    + " are recorded as AGENT_SHUTDOWN), send every capture event, then stop (default: ${DEFAULT-VALUE}).")
    java.time.Duration shutdownGrace;

    @Option(names = "--journal-max-mb", defaultValue = "1024",
            description = "Disk the agent may use for capture events while Kafka is away, in MiB (default: ${DEFAULT-VALUE}).")
    long journalMaxMb;

    @Option(names = "--mode", defaultValue = "RECORD",
            description = "Agent mode: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}). REPLAY and LIVE need no Kafka.")
    AgentMode mode;

    @Option(names = "--components", split = ",",
            description = "Parts to run in this JVM, comma-separated: ${COMPLETION-CANDIDATES} (default: all three;"
                    + " only AGENT in modes that capture nothing).")
    Set<PipelineConfig.Component> components;

    @Spec
    CommandSpec spec;

    @Option(names = "--metrics-port", defaultValue = "9464", description = "Prometheus /metrics port; -1 disables (default: ${DEFAULT-VALUE}).")
    int metricsPort;

    @Override
    public Integer call() throws Exception {
        long start = System.nanoTime();
        String base = upstream.endsWith("/") ? upstream.substring(0, upstream.length() - 1) : upstream;
        List<Route> routes;
        try {
            UpstreamTimeouts timeouts = new UpstreamTimeouts(upstreamConnectTimeout, upstreamFirstByteTimeout,
                    upstreamIdleTimeout);
            routes = routeSpecs == null || routeSpecs.isEmpty()
                    ? List.of(new Route("default", "/", URI.create(base), recordedBaseUrl != null ? recordedBaseUrl : base + "/v1",
                            timeouts))
                    : routeSpecs.stream().map(spec -> Route.parse(spec, timeouts)).toList();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        if (components == null) {
            components = mode.captures() ? EnumSet.allOf(PipelineConfig.Component.class) : EnumSet.of(PipelineConfig.Component.AGENT);
        }
        FixtureLayout layout = layoutOptions.layout(spec);
        Stack stack;
        try {
            Stack.Settings settings = new Stack.Settings(dataDir, bootstrapServers, kafkaPort, controllerPort, registryUrl,
                    registryPort, host, port, routes, fixtures, layout, components, mode,
                    new Stack.Secrets(redactHeaders, redactQueryParams, redactBodyPaths), kafkaConfig,
                    new Stack.Tuning(idleTimeout, journalMaxMb << 20, writeIncomplete, shutdownGrace));
            stack = Stack.start(settings, written -> System.out.println(
                    "fixture " + written.result().name().toLowerCase() + ": " + written.path()));
        } catch (IllegalArgumentException e) {
            // a setting the configuration records refuse, with every problem named
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        MetricsEndpoint metrics = metricsPort < 0 ? null
                : MetricsEndpoint.start(host, metricsPort, stack.pipeline()::scrapeMetrics);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("stopping Tapeline...");
            if (metrics != null) {
                metrics.close();
            }
            stack.close();
            stopped.countDown();
        }, "tapeline-shutdown"));
        System.out.printf("""
                Tapeline is ready (%.1f s; mode %s; running %s).
                  Point clients at:  %s
                  Routes:            %s
                  Fixtures:          %s
                  Kafka:             %s
                  Schema registry:   %s
                  Metrics:           %s
                Ctrl-C stops it; data in %s is kept.
                """, (System.nanoTime() - start) / 1e9, mode, components, stack.agentPort() < 0 ? "(no agent in this JVM)"
                        : String.format("http://%s:%d/v1   (export OPENAI_BASE_URL=http://%s:%d/v1)", host, stack.agentPort(),
                                host, stack.agentPort()), routes.stream().map(r -> r.name() + " " + r.prefix() + " -> " + r.upstream()
                        + " (recorded as " + r.recordedBaseUrl() + ")").toList(),
                fixtures.toAbsolutePath(), orNotUsed(stack.bootstrapServers()), orNotUsed(withoutCredentials(stack.registryUrl())),
                metrics == null ? "off" : "http://" + host + ":" + metrics.port() + "/metrics", dataDir.toAbsolutePath());
        stopped.await();
        return 0;
    }

    /** A URL as it may be printed: credentials in it replaced. */
    static String withoutCredentials(String url) {
        return url == null ? null : url.replaceFirst("//[^/@]*@", "//***@");
    }

    private static String orNotUsed(String value) {
        return value == null ? "(not used in this mode)" : value;
    }

    /** A duration as {@code 500ms}, {@code 90s}, {@code 10m}, {@code 2h} or ISO-8601 ({@code PT10M}). */
    static final class Durations implements picocli.CommandLine.ITypeConverter<java.time.Duration> {

        @Override
        public java.time.Duration convert(String value) {
            try {
                return dev.tapeline.agent.Durations.parse(value);
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
