package dev.tapeline.schema.registry;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where the schema registry is and how to reach it.
 *
 * @param urls            base URLs of the Confluent-compatible API, tried in order
 * @param basicAuthUserInfo {@code user:password} for HTTP basic auth, or null
 * @param timeout         per-request timeout
 */
public record RegistryConfig(List<URI> urls, String basicAuthUserInfo, Duration timeout) {

    /** Keys accepted by {@link #fromMap}. */
    public static final Set<String> KEYS =
            Set.of("schema.registry.url", "basic.auth.user.info", "schema.registry.timeout.ms");

    public RegistryConfig {
        List<String> problems = new ArrayList<>();
        if (urls == null || urls.isEmpty()) {
            problems.add("schema.registry.url: at least one URL is required");
        } else {
            for (URI url : urls) {
                if (url.getScheme() == null
                        || !(url.getScheme().equals("http") || url.getScheme().equals("https"))) {
                    problems.add("schema.registry.url: '" + url + "' is not an http(s) URL");
                }
            }
        }
        if (basicAuthUserInfo != null && !basicAuthUserInfo.contains(":")) {
            problems.add("basic.auth.user.info: expected user:password");
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            problems.add("schema.registry.timeout.ms: must be positive");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid schema registry configuration: " + String.join("; ", problems));
        }
        urls = List.copyOf(urls);
    }

    /**
     * One registry; credentials in the URL ({@code http://user:password@host:8081}, percent-encoded)
     * become HTTP basic auth and are never sent as part of the URL.
     */
    public static RegistryConfig of(String url) {
        URI uri = URI.create(url);
        if (uri.getRawUserInfo() == null) {
            return new RegistryConfig(List.of(uri), null, Duration.ofSeconds(10));
        }
        String userInfo = java.net.URLDecoder.decode(
                uri.getRawUserInfo().replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
        URI withoutUser;
        try {
            withoutUser =
                    new URI(uri.getScheme(), null, uri.getHost(), uri.getPort(), uri.getPath(), uri.getQuery(), null);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException("invalid schema registry url: " + e.getMessage(), e);
        }
        return new RegistryConfig(List.of(withoutUser), userInfo, Duration.ofSeconds(10));
    }

    /** From Confluent-style client properties; unknown keys are rejected. */
    public static RegistryConfig fromMap(Map<String, ?> config) {
        List<String> unknown =
                config.keySet().stream().filter(k -> !KEYS.contains(k)).sorted().toList();
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("unknown schema registry settings: " + unknown);
        }
        Object url = config.get("schema.registry.url");
        List<URI> urls = url == null
                ? List.of()
                : java.util.Arrays.stream(url.toString().split(","))
                        .map(String::trim)
                        .map(URI::create)
                        .toList();
        Object auth = config.get("basic.auth.user.info");
        Object timeout = config.get("schema.registry.timeout.ms");
        return new RegistryConfig(
                urls,
                auth == null ? null : auth.toString(),
                Duration.ofMillis(timeout == null ? 10_000 : Long.parseLong(timeout.toString())));
    }
}
