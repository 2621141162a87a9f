package dev.tapeline.app;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.GZIPInputStream;

/**
 * An OTLP/HTTP receiver reached over the network, as a collector is: {@code /v1/traces} and
 * {@code /v1/metrics} decoded with OpenTelemetry's own protobuf classes. It can go away and come
 * back on the same port.
 */
final class OtlpReceiver implements AutoCloseable {

    /** Every span received, in order (a span sent twice is here twice). */
    final List<Span> spans = new CopyOnWriteArrayList<>();
    /** The last export of each metric, by name (the SDK sends cumulative values). */
    final Map<String, Metric> metrics = new ConcurrentHashMap<>();

    /** Chosen at the first start, kept for the next. */
    private int port;

    private HttpServer server;

    private OtlpReceiver(int port) throws IOException {
        this.port = port;
        listen();
    }

    /** On a free port. */
    static OtlpReceiver start() throws IOException {
        return new OtlpReceiver(0);
    }

    String url() {
        return "http://127.0.0.1:" + port;
    }

    /** Listens (again) on its port. */
    void listen() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        server.createContext("/v1/traces", exchange -> {
            ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(body(exchange));
            request.getResourceSpansList()
                    .forEach(resource ->
                            resource.getScopeSpansList().forEach(scope -> spans.addAll(scope.getSpansList())));
            answer(exchange, ExportTraceServiceResponse.getDefaultInstance().toByteArray());
        });
        server.createContext("/v1/metrics", exchange -> {
            ExportMetricsServiceRequest request = ExportMetricsServiceRequest.parseFrom(body(exchange));
            request.getResourceMetricsList()
                    .forEach(resource -> resource.getScopeMetricsList()
                            .forEach(scope -> scope.getMetricsList().forEach(m -> metrics.put(m.getName(), m))));
            answer(exchange, ExportMetricsServiceResponse.getDefaultInstance().toByteArray());
        });
        server.start();
        port = server.getAddress().getPort();
    }

    /** Goes away: connections are refused until {@link #listen}. */
    void stop() {
        server.stop(0);
    }

    private static byte[] body(HttpExchange exchange) throws IOException {
        InputStream in = exchange.getRequestBody();
        String encoding = exchange.getRequestHeaders().getFirst("Content-Encoding");
        if ("gzip".equalsIgnoreCase(encoding)) {
            in = new GZIPInputStream(in);
        }
        return in.readAllBytes();
    }

    private static void answer(HttpExchange exchange, byte[] body) throws IOException {
        exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
