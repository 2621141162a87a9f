package dev.tapeline.agent.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tapeline.agent.Route;
import dev.tapeline.fixture.python.PyJson;
import io.vertx.core.Future;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The upstream's {@code GET <base path without /v1>/version} answer's {@code version}, as
 * llama-stack's recorder asks vLLM servers; null when there is none. Asked once per route.
 */
final class VersionProbe {

    private static final Logger LOG = LoggerFactory.getLogger(VersionProbe.class);

    private final Map<String, Future<String>> versions = new ConcurrentHashMap<>();

    Future<String> versionOf(Route route, HttpClient client) {
        return versions.computeIfAbsent(route.name(), name -> ask(route, client));
    }

    private static Future<String> ask(Route route, HttpClient client) {
        String url = route.upstream() + versionPath(route.recordedBaseUrl());
        return client.request(new RequestOptions()
                        .setMethod(HttpMethod.GET)
                        .setAbsoluteURI(url)
                        .setConnectTimeout(5_000)
                        .setIdleTimeout(5_000))
                .compose(versionRequest -> versionRequest.send())
                .compose(response -> response.body().map(bytes -> response.statusCode() == 200 ? bytes : null))
                .map(bytes -> {
                    if (bytes == null) {
                        return (String) null;
                    }
                    JsonNode version = PyJson.parse(bytes.getBytes()).get("version");
                    return version == null || !version.isTextual() ? null : version.textValue();
                })
                .otherwise(error -> {
                    LOG.debug("route {}: no server version at {}: {}", route.name(), url, error.toString());
                    return null;
                });
    }

    static String versionPath(String recordedBaseUrl) {
        String path = java.net.URI.create(recordedBaseUrl).getRawPath();
        path = path == null ? "" : path.replaceAll("/+$", "");
        return (path.endsWith("/v1") ? path.substring(0, path.length() - 3) : path) + "/version";
    }
}
