package dev.tapeline.schema.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
    private final Map<String, Integer> idsBySchema = new LinkedHashMap<>();
    private final List<String> schemasById = new ArrayList<>();
    private final Map<String, List<Integer>> versionsBySubject = new LinkedHashMap<>();

    private EmbeddedSchemaRegistry(HttpServer server) {
        this.server = server;
    }

    /** Starts on 127.0.0.1 at the given port (0 = any free port). */
    public static EmbeddedSchemaRegistry start(int port) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry(server);
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
            String[] parts = exchange.getRequestURI().getRawPath().replaceAll("^/+|/+$", "").split("/");
            String method = exchange.getRequestMethod();
            if (method.equals("POST") && parts.length == 3 && parts[0].equals("subjects") && parts[2].equals("versions")) {
                JsonNode request = JSON.readTree(exchange.getRequestBody());
                String subject = URLDecoder.decode(parts[1], StandardCharsets.UTF_8);
                reply(exchange, 200, JSON.createObjectNode().put("id", register(subject, request.path("schema").asText())));
            } else if (method.equals("GET") && parts.length == 3 && parts[0].equals("schemas") && parts[1].equals("ids")) {
                String schema = schemaById(Integer.parseInt(parts[2]));
                if (schema == null) {
                    error(exchange, 404, 40403, "Schema " + parts[2] + " not found");
                } else {
                    reply(exchange, 200, JSON.createObjectNode().put("schema", schema));
                }
            } else if (method.equals("GET") && parts.length == 1 && parts[0].equals("subjects")) {
                ArrayNode subjects = JSON.createArrayNode();
                synchronized (this) {
                    versionsBySubject.keySet().forEach(subjects::add);
                }
                reply(exchange, 200, subjects);
            } else if (method.equals("GET") && parts.length == 4 && parts[0].equals("subjects") && parts[2].equals("versions")) {
                latestOrVersion(exchange, URLDecoder.decode(parts[1], StandardCharsets.UTF_8), parts[3]);
            } else {
                error(exchange, 404, 404, "no such endpoint in the embedded registry: " + method + " "
                        + exchange.getRequestURI().getPath());
            }
        } catch (RuntimeException e) {
            error(exchange, 422, 42201, "invalid request: " + e.getMessage());
        }
    }

    private synchronized int register(String subject, String schemaText) {
        String canonical = new Schema.Parser().parse(schemaText).toString();
        Integer id = idsBySchema.get(canonical);
        if (id == null) {
            schemasById.add(canonical);
            id = schemasById.size();
            idsBySchema.put(canonical, id);
        }
        List<Integer> versions = versionsBySubject.computeIfAbsent(subject, s -> new ArrayList<>());
        if (!versions.contains(id)) {
            versions.add(id);
        }
        return id;
    }

    private synchronized String schemaById(int id) {
        return id >= 1 && id <= schemasById.size() ? schemasById.get(id - 1) : null;
    }

    private void latestOrVersion(HttpExchange exchange, String subject, String version) throws IOException {
        ObjectNode answer;
        synchronized (this) {
            List<Integer> versions = versionsBySubject.get(subject);
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
            answer = JSON.createObjectNode().put("subject", subject).put("version", index).put("id", id)
                    .put("schema", schemasById.get(id - 1));
        }
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
