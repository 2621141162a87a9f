package dev.tapeline.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.tapeline.app.inspector.Inspector;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The admin port of a Tapeline JVM, whatever parts it runs: {@code GET /metrics} (Prometheus
 * text), {@code GET /health/live} (the JVM answers), {@code GET /health/ready} (200 when every
 * part it runs can work: Kafka and the registry answer, the processor runs, the sink is in its
 * group, the agent listens; 503 otherwise, each check named) and the inspector page
 * ({@code /inspector}: what this JVM captured and missed, live).
 */
public final class AdminEndpoint implements AutoCloseable {

    /** The inspector's static files, shipped in the jar. */
    private static final Map<String, String> ASSETS = Map.of(
            "/inspector", "index.html",
            "/inspector/", "index.html",
            "/inspector/app.js", "app.js",
            "/inspector/style.css", "style.css");

    /** Events a slow page may fall behind by before it is dropped (it reconnects and reloads). */
    private static final int PAGE_BACKLOG = 10_000;

    private final HttpServer server;
    private final ExecutorService executor;

    private AdminEndpoint(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    public static AdminEndpoint start(
            String host, int port, Supplier<String> scrape, Supplier<Pipeline.Readiness> readiness, Inspector inspector)
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
        if (inspector != null) {
            server.createContext("/inspector", exchange -> inspector(exchange, inspector));
        }
        // pages hold their live connection open: each request gets a thread of its own
        ExecutorService executor = Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "tapeline-admin");
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        server.start();
        return new AdminEndpoint(server, executor);
    }

    private static void inspector(HttpExchange exchange, Inspector inspector) throws IOException {
        String path = exchange.getRequestURI().getPath();
        String asset = ASSETS.get(path);
        if (asset != null) {
            try (InputStream in = AdminEndpoint.class.getResourceAsStream("/inspector/" + asset)) {
                String type = asset.endsWith(".js")
                        ? "text/javascript; charset=utf-8"
                        : asset.endsWith(".css") ? "text/css; charset=utf-8" : "text/html; charset=utf-8";
                answer(exchange, 200, type, new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        } else if (path.equals("/inspector/api/exchanges")) {
            answer(exchange, 200, "application/json", inspector.exchanges().toString());
        } else if (path.startsWith("/inspector/api/exchanges/")) {
            JsonNode detail = inspector.exchange(path.substring("/inspector/api/exchanges/".length()));
            if (detail == null) {
                answer(exchange, 404, "application/json", "{\"error\":\"no such exchange kept\"}");
            } else {
                answer(exchange, 200, "application/json", detail.toString());
            }
        } else if (path.equals("/inspector/api/misses")) {
            answer(exchange, 200, "application/json", inspector.misses().toString());
        } else if (path.equals("/inspector/api/events")) {
            events(exchange, inspector);
        } else {
            answer(exchange, 404, "text/plain; charset=utf-8", "not found");
        }
    }

    /** Server-sent events: each change as it happens, a comment every 15 s to keep the line open. */
    private static void events(HttpExchange exchange, Inspector inspector) throws IOException {
        BlockingQueue<String> pending = new LinkedBlockingQueue<>(PAGE_BACKLOG);
        Runnable unsubscribe = inspector.subscribe(pending::offer);
        try (exchange) {
            exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
            exchange.getResponseHeaders().set("Cache-Control", "no-cache");
            exchange.sendResponseHeaders(200, 0);
            OutputStream out = exchange.getResponseBody();
            out.write(": connected\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            while (true) {
                String message = pending.poll(15, TimeUnit.SECONDS);
                String text;
                if (message == null) {
                    text = ": keep-alive\n\n";
                } else {
                    int newline = message.indexOf('\n');
                    text = "event: " + message.substring(0, newline) + "\ndata: " + message.substring(newline + 1)
                            + "\n\n";
                }
                out.write(text.getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException pageGone) {
            // the page closed or reloaded: nothing to answer
        } finally {
            unsubscribe.run();
        }
    }

    private static void answer(HttpExchange exchange, int status, String contentType, String text) throws IOException {
        try (exchange) {
            byte[] body = text.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", contentType);
            exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
            exchange.sendResponseHeaders(status, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
