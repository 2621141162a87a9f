package dev.tapeline.app;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/**
 * The admin port of a Tapeline JVM, whatever parts it runs: {@code GET /metrics} (Prometheus
 * text), {@code GET /health/live} (the JVM answers) and {@code GET /health/ready} (200 when every
 * part it runs can work: Kafka and the registry answer, the processor runs, the sink is in its
 * group, the agent listens; 503 otherwise, each check named).
 */
final class AdminEndpoint implements AutoCloseable {

    private final HttpServer server;

    private AdminEndpoint(HttpServer server) {
        this.server = server;
    }

    static AdminEndpoint start(String host, int port, Supplier<String> scrape, Supplier<Pipeline.Readiness> readiness)
            throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 0);
        server.createContext(
                "/metrics",
                exchange -> answer(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", scrape.get()));
        server.createContext(
                "/health/live", exchange -> answer(exchange, 200, "application/json", "{\"status\":\"UP\"}"));
        server.createContext("/health/ready", exchange -> {
            Pipeline.Readiness ready = readiness.get();
            ObjectNode body = JsonNodeFactory.instance.objectNode().put("status", ready.ready() ? "UP" : "DOWN");
            ObjectNode checks = body.putObject("checks");
            ready.checks().forEach(checks::put);
            answer(exchange, ready.ready() ? 200 : 503, "application/json", body.toString());
        });
        server.start();
        return new AdminEndpoint(server);
    }

    private static void answer(HttpExchange exchange, int status, String contentType, String text) throws IOException {
        try (exchange) {
            byte[] body = text.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", contentType);
            exchange.sendResponseHeaders(status, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
