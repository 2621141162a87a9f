package dev.tapeline.app.otel;

import dev.tapeline.app.AdminEndpoint;
import dev.tapeline.app.Pipeline;
import dev.tapeline.app.SettingOptions;
import dev.tapeline.app.Topics;
import dev.tapeline.app.batch.KafkaOptions;
import dev.tapeline.otel.OtelExporter;
import dev.tapeline.otel.OtelSettings;
import dev.tapeline.settings.SettingValues;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The captured traffic in an observability backend: one GenAI span per exchange, and the GenAI metrics, over OTLP. */
@Command(
        name = "otel",
        mixinStandardHelpOptions = true,
        modelTransformer = OtelCommand.Options.class,
        description = "Read the recordings topic as a consumer group and send every exchange as an OpenTelemetry span"
                + " (GenAI semantic conventions v1.37.0) with the GenAI client metrics to an OTLP endpoint, until"
                + " Ctrl-C. At least once; a span sent again is the same span (ids from the exchange).")
public final class OtelCommand implements Callable<Integer> {

    /** Adds the exporter's settings to the command's options. */
    static final class Options implements picocli.CommandLine.IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            SettingOptions.addTo(spec, OtelSettings.OPTIONS);
            return spec;
        }
    }

    @Mixin
    KafkaOptions kafka;

    @Option(
            names = "--group-id",
            defaultValue = OtelExporter.GROUP_ID,
            description = "The consumer group (default: ${DEFAULT-VALUE}); run several for more throughput.")
    String groupId;

    @Option(
            names = "--topic",
            defaultValue = Topics.RECORDINGS,
            description = "The recordings topic (default: ${DEFAULT-VALUE}).")
    String topic;

    @Option(
            names = "--metrics-port",
            defaultValue = "9465",
            description = "Admin port: Prometheus /metrics (lag, spans sent, failures), /health/ready; -1 disables"
                    + " (default: ${DEFAULT-VALUE}).")
    int metricsPort;

    @Option(
            names = "--admin-host",
            defaultValue = "127.0.0.1",
            description = "Where the admin port listens (default: ${DEFAULT-VALUE}).")
    String adminHost;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        SettingValues settings = SettingOptions.read(spec, OtelSettings.OPTIONS);
        if (settings.get(OtelSettings.OTLP_ENDPOINT).isEmpty()) {
            throw new ParameterException(spec.commandLine(), "--otlp-endpoint: required");
        }
        kafka.checkReachable();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        OtelExporter exporter;
        try {
            exporter = OtelExporter.create(kafka.clientConfig(), kafka.registry(), topic, groupId, settings, registry);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        Thread thread = new Thread(exporter, "tapeline-otel");
        thread.start();
        AdminEndpoint admin = metricsPort < 0
                ? null
                : AdminEndpoint.start(
                        adminHost,
                        metricsPort,
                        registry::scrape,
                        () -> {
                            String problem = exporter.endpointProblem();
                            return new Pipeline.Readiness(
                                    problem == null, Map.of("otlp", problem == null ? "UP" : "DOWN: " + problem));
                        },
                        null);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            exporter.close();
                            if (admin != null) {
                                admin.close();
                            }
                        },
                        "tapeline-otel-shutdown"));
        spec.commandLine()
                .getOut()
                .printf(
                        "Tapeline OTel exporter: %s (group %s) -> %s (%s)%s%n",
                        topic,
                        groupId,
                        settings.get(OtelSettings.OTLP_ENDPOINT),
                        settings.get(OtelSettings.OTLP_PROTOCOL),
                        admin == null ? "" : "; metrics and readiness at http://" + adminHost + ":" + admin.port());
        spec.commandLine().getOut().flush();
        thread.join();
        return 0;
    }
}
