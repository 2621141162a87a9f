package dev.tapeline.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.tapeline.schema.registry.InMemorySchemaRegistry;
import dev.tapeline.schema.registry.RestSchemaRegistryClient;
import dev.tapeline.schema.registry.SchemaRegistryException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Executors;
import org.apache.avro.Schema;

/**
 * An in-process schema registry speaking the Confluent REST API subset Tapeline uses, for dev
 * mode and tests: register under a subject (same schema, same id; ids global across subjects),
 * schema by id, subjects, versions. No compatibility rules: production uses a real registry.
 * State lives in memory only.
 */
public final class EmbeddedSchemaRegistry implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final InMemorySchemaRegistry store;

    private EmbeddedSchemaRegistry(HttpServer server, InMemorySchemaRegistry store) {
        this.server = server;
        this.store = store;
    }

    /** Starts on 127.0.0.1 at the given port (0 = any free port), state in memory only. */
    public static EmbeddedSchemaRegistry start(int port) throws IOException {
        return start(port, new InMemorySchemaRegistry());
    }

    /** Starts on 127.0.0.1 at the given port (0 = any free port) with the given state. */
    public static EmbeddedSchemaRegistry start(int port, InMemorySchemaRegistry store) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry(server, store);
        server.createContext("/", registry::handle);
        server.setExecutor(Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "schema-registry");
            t.setDaemon(true);
            return t;
        }));
        server.start();
        return registry;
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String[] parts = exchange.getRequestURI()
                    .getRawPath()
                    .replaceAll("^/+|/+$", "")
                    .split("/");
            String method = exchange.getRequestMethod();
            if (method.equals("POST")
                    && parts.length == 3
                    && parts[0].equals("subjects")
                    && parts[2].equals("versions")) {
                JsonNode request = JSON.readTree(exchange.getRequestBody());
                String subject = URLDecoder.decode(parts[1], StandardCharsets.UTF_8);
                Schema schema = new Schema.Parser().parse(request.path("schema").asText());
                reply(exchange, 200, JSON.createObjectNode().put("id", store.register(subject, schema)));
            } else if (method.equals("GET")
                    && parts.length == 3
                    && parts[0].equals("schemas")
                    && parts[1].equals("ids")) {
                try {
                    Schema schema = store.getById(Integer.parseInt(parts[2]));
                    reply(exchange, 200, JSON.createObjectNode().put("schema", schema.toString()));
                } catch (SchemaRegistryException e) {
                    error(exchange, e.status(), e.errorCode(), e.getMessage());
                }
            } else if (method.equals("GET") && parts.length == 1 && parts[0].equals("subjects")) {
                ArrayNode subjects = JSON.createArrayNode();
                store.subjects().forEach(subjects::add);
                reply(exchange, 200, subjects);
            } else if (method.equals("GET")
                    && parts.length == 4
                    && parts[0].equals("subjects")
                    && parts[2].equals("versions")) {
                latestOrVersion(exchange, URLDecoder.decode(parts[1], StandardCharsets.UTF_8), parts[3]);
            } else {
                error(
                        exchange,
                        404,
                        404,
                        "no such endpoint in the embedded registry: " + method + " "
                                + exchange.getRequestURI().getPath());
            }
        } catch (RuntimeException e) {
            error(exchange, 422, 42201, "invalid request: " + e.getMessage());
        }
    }

    private void latestOrVersion(HttpExchange exchange, String subject, String version) throws IOException {
        List<Integer> versions = store.versions(subject);
        if (versions == null) {
            error(exchange, 404, 40401, "Subject '" + subject + "' not found.");
            return;
        }
        int index = version.equals("latest") ? versions.size() : Integer.parseInt(version);
        if (index < 1 || index > versions.size()) {
            error(exchange, 404, 40402, "Version " + version + " not found.");
            return;
        }
        int id = versions.get(index - 1);
        ObjectNode answer = JSON.createObjectNode()
                .put("subject", subject)
                .put("version", index)
                .put("id", id)
                .put("schema", store.getById(id).toString());
        reply(exchange, 200, answer);
    }

    private static void error(HttpExchange exchange, int status, int code, String message) throws IOException {
        reply(exchange, status, JSON.createObjectNode().put("error_code", code).put("message", message));
    }

    private static void reply(HttpExchange exchange, int status, JsonNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", RestSchemaRegistryClient.CONTENT_TYPE);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
