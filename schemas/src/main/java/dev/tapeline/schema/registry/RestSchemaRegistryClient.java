package dev.tapeline.schema.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;

/**
 * A small client of the Confluent Schema Registry REST API: register a schema under a subject,
 * fetch a schema by id; both cached, so a serde asks the registry once per schema.
 */
public final class RestSchemaRegistryClient implements SchemaRegistryClient {

    public static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final RegistryConfig config;
    private final HttpClient http;
    private final Map<String, Integer> idsBySubjectAndSchema = new ConcurrentHashMap<>();
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();

    public RestSchemaRegistryClient(RegistryConfig config) {
        this.config = config;
        this.http = HttpClient.newBuilder().connectTimeout(config.timeout()).build();
    }

    @Override
    public int register(String subject, Schema schema) {
        String canonical = schema.toString();
        return idsBySubjectAndSchema.computeIfAbsent(subject + '\u0000' + canonical, key -> {
            String body = JSON.createObjectNode().put("schema", canonical).toString();
            JsonNode answer = send(
                    "POST",
                    "/subjects/" + encode(subject) + "/versions",
                    body,
                    "register schema under subject '" + subject + "'");
            int id = answer.path("id").asInt(-1);
            if (id < 0) {
                throw new SchemaRegistryException("registry answered without an id: " + answer, 200, 0, null);
            }
            schemasById.putIfAbsent(id, schema);
            return id;
        });
    }

    @Override
    public Schema getById(int id) {
        return schemasById.computeIfAbsent(id, key -> {
            JsonNode answer = send("GET", "/schemas/ids/" + id, null, "look up schema id " + id);
            return new Schema.Parser().parse(answer.path("schema").asText());
        });
    }

    /** Whether a registry answers ({@code GET /subjects}): for readiness checks. */
    public boolean reachable() {
        return unreachableBecause() == null;
    }

    /** Null when the registry answers, else why not (the address and the error). */
    public String unreachableBecause() {
        try {
            send("GET", "/subjects", null, "list subjects");
            return null;
        } catch (SchemaRegistryException e) {
            return e.getMessage();
        }
    }

    private JsonNode send(String method, String path, String body, String what) {
        SchemaRegistryException last = null;
        for (URI base : config.urls()) {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(stripSlash(base.toString()) + path))
                    .timeout(config.timeout())
                    .header("Accept", CONTENT_TYPE + ", application/json");
            if (config.basicAuthUserInfo() != null) {
                request.header(
                        "Authorization",
                        "Basic "
                                + Base64.getEncoder()
                                        .encodeToString(
                                                config.basicAuthUserInfo().getBytes(StandardCharsets.UTF_8)));
            }
            if (body != null) {
                request.header("Content-Type", CONTENT_TYPE).method(method, HttpRequest.BodyPublishers.ofString(body));
            } else {
                request.method(method, HttpRequest.BodyPublishers.noBody());
            }
            try {
                HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
                JsonNode answer = response.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(response.body());
                if (response.statusCode() / 100 == 2) {
                    return answer;
                }
                // an answer from the registry is final: it will not change on another URL
                throw new SchemaRegistryException(
                        "schema registry refused to " + what + ": HTTP " + response.statusCode() + " "
                                + answer.path("message").asText(response.body()),
                        response.statusCode(),
                        answer.path("error_code").asInt(0),
                        null);
            } catch (IOException e) {
                last = new SchemaRegistryException(
                        "schema registry at " + base + " unreachable while trying to " + what + ": " + e, 0, 0, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SchemaRegistryException("interrupted while trying to " + what, 0, 0, e);
            }
        }
        throw last;
    }

    private static String stripSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
