package dev.tapeline.otel;

import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporter;
import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporterBuilder;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporterBuilder;
import io.opentelemetry.exporter.otlp.metrics.OtlpGrpcMetricExporter;
import io.opentelemetry.exporter.otlp.metrics.OtlpGrpcMetricExporterBuilder;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporterBuilder;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where spans and metrics go: an OTLP endpoint, as {@code OTEL_EXPORTER_OTLP_ENDPOINT} names one
 * (a base URL; {@code /v1/traces} and {@code /v1/metrics} are added for HTTP), its protocol and
 * the headers it wants (an API key, a tenant).
 *
 * @param endpoint base URL, e.g. {@code http://localhost:4318} (HTTP) or {@code http://localhost:4317} (gRPC)
 * @param protocol {@code http/protobuf} or {@code grpc}
 * @param headers  sent with every export
 */
public record OtlpEndpoint(String endpoint, String protocol, Map<String, String> headers) {

    public static final String HTTP = "http/protobuf";
    public static final String GRPC = "grpc";

    public OtlpEndpoint {
        List<String> problems = new ArrayList<>();
        URI uri = null;
        try {
            uri = endpoint == null ? null : URI.create(endpoint);
        } catch (IllegalArgumentException e) {
            problems.add("otlp-endpoint: " + endpoint + " is not a URL");
        }
        if (uri == null
                || uri.getScheme() == null
                || !List.of("http", "https").contains(uri.getScheme().toLowerCase(Locale.ROOT))
                || uri.getHost() == null) {
            problems.add("otlp-endpoint: " + endpoint + " is not an http:// or https:// URL");
        }
        if (!HTTP.equals(protocol) && !GRPC.equals(protocol)) {
            problems.add("otlp-protocol: " + protocol + " is neither " + HTTP + " nor " + GRPC);
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        endpoint = endpoint.replaceAll("/+$", "");
        headers = Map.copyOf(headers);
    }

    public SpanExporter spanExporter() {
        if (GRPC.equals(protocol)) {
            OtlpGrpcSpanExporterBuilder builder = OtlpGrpcSpanExporter.builder().setEndpoint(endpoint);
            headers.forEach(builder::addHeader);
            return builder.build();
        }
        OtlpHttpSpanExporterBuilder builder = OtlpHttpSpanExporter.builder().setEndpoint(endpoint + "/v1/traces");
        headers.forEach(builder::addHeader);
        return builder.build();
    }

    public MetricExporter metricExporter() {
        if (GRPC.equals(protocol)) {
            OtlpGrpcMetricExporterBuilder builder =
                    OtlpGrpcMetricExporter.builder().setEndpoint(endpoint);
            headers.forEach(builder::addHeader);
            return builder.build();
        }
        OtlpHttpMetricExporterBuilder builder = OtlpHttpMetricExporter.builder().setEndpoint(endpoint + "/v1/metrics");
        headers.forEach(builder::addHeader);
        return builder.build();
    }
}
