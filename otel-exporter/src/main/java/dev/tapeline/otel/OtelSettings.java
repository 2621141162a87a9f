package dev.tapeline.otel;

import dev.tapeline.settings.Setting;
import dev.tapeline.settings.SettingValues;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The exporter's settings, as {@code tapeline otel} and {@code tapeline run --components EXPORTER} offer them. */
public final class OtelSettings {

    public static final Setting<String> OTLP_ENDPOINT = Setting.text(
            "otlp-endpoint",
            "",
            "The OTLP endpoint spans and metrics go to, a base URL as OTEL_EXPORTER_OTLP_ENDPOINT names one:"
                    + " http://localhost:4318 (HTTP), http://localhost:4317 (gRPC). run: starts the EXPORTER.");
    public static final Setting<String> OTLP_PROTOCOL =
            Setting.text("otlp-protocol", OtlpEndpoint.HTTP, "The OTLP protocol: http/protobuf or grpc.");
    public static final Setting<String> OTLP_HEADERS = Setting.text(
            "otlp-headers",
            "",
            "Headers every export carries (an API key, a tenant), as OTEL_EXPORTER_OTLP_HEADERS writes them:"
                    + " name=value,name2=value2.");
    public static final Setting<Boolean> CAPTURE_CONTENT = Setting.flag(
            "capture-content",
            "Put the request's messages and the answer's text on the spans (gen_ai.input.messages,"
                    + " gen_ai.output.messages): opt-in, as the conventions say; secrets are redacted as on the topics.");
    public static final Setting<Duration> METRIC_INTERVAL = Setting.positiveDuration(
            "otlp-metric-interval", Duration.ofSeconds(10), "How often the GenAI metrics are sent.");
    /** What the command line offers. */
    public static final List<Setting<?>> OPTIONS =
            List.of(OTLP_ENDPOINT, OTLP_PROTOCOL, OTLP_HEADERS, CAPTURE_CONTENT, METRIC_INTERVAL);

    private OtelSettings() {}

    /** The endpoint the settings name; an {@link IllegalArgumentException} names what is wrong. */
    public static OtlpEndpoint endpoint(SettingValues settings) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (String pair : settings.get(OTLP_HEADERS).split(",")) {
            if (pair.isBlank()) {
                continue;
            }
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException(OTLP_HEADERS.name() + ": '" + pair.trim() + "' is not name=value");
            }
            headers.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
        }
        return new OtlpEndpoint(settings.get(OTLP_ENDPOINT), settings.get(OTLP_PROTOCOL), headers);
    }
}
