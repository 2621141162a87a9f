package dev.tapeline.agent;

import dev.tapeline.settings.Setting;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One upstream served by the agent.
 *
 * @param name            a short name, carried in events
 * @param prefix          path prefix the route answers; stripped before forwarding ("/" = everything)
 * @param upstream        base URL requests are forwarded to (path below prefix appended)
 * @param recordedBaseUrl base URL the recordings show: the one the client SDK was configured
 *                        with, so {@code recordedBaseUrl + endpoint} is llama-stack's recorded url
 * @param timeouts        how long the agent waits for this upstream
 * @param openaiSdkVersion the {@code openai} Python package version its fixtures record, whatever
 *                        the client; null: the version a Python OpenAI SDK client sends, none for others
 */
public record Route(
        String name,
        String prefix,
        URI upstream,
        String recordedBaseUrl,
        UpstreamTimeouts timeouts,
        String openaiSdkVersion) {

    /**
     * What llama-stack records as {@code provider_metadata.openai_sdk_version}: the version of the
     * {@code openai} package its server runs, whatever its client. Given, traffic from any client
     * (Node, Java, curl) records what the user's llama-stack would; per route with the route key.
     */
    public static final Setting<String> OPENAI_SDK_VERSION = Setting.text(
            "openai-sdk-version",
            "",
            "The openai Python package version fixtures record (provider_metadata.openai_sdk_version), whatever the"
                    + " client, as llama-stack records its server's; default: the version a Python OpenAI SDK client"
                    + " sends (X-Stainless-Package-Version), none for other clients. A route's key overrides it.");

    private static final Pattern VERSION = Pattern.compile("[0-9A-Za-z][0-9A-Za-z.+-]{0,63}");

    /** Spec keys of {@link #parse}. */
    private static final List<String> KEYS = Stream.of(
                    Stream.of("name", "prefix", "upstream", "recorded-base-url", OPENAI_SDK_VERSION.name()),
                    UpstreamTimeouts.SETTINGS.stream().map(Setting::name))
            .flatMap(keys -> keys)
            .toList();

    /** With the default upstream timeouts. */
    public Route(String name, String prefix, URI upstream, String recordedBaseUrl) {
        this(name, prefix, upstream, recordedBaseUrl, UpstreamTimeouts.DEFAULTS);
    }

    /** Recording the client's SDK version. */
    public Route(String name, String prefix, URI upstream, String recordedBaseUrl, UpstreamTimeouts timeouts) {
        this(name, prefix, upstream, recordedBaseUrl, timeouts, null);
    }

    public Route {
        List<String> problems = new ArrayList<>();
        if (name == null || name.isBlank()) {
            problems.add("routes[].name: required");
        }
        if (prefix == null || !prefix.startsWith("/")) {
            problems.add("routes[" + name + "].prefix: must start with '/'");
        }
        if (upstream == null
                || upstream.getScheme() == null
                || !(upstream.getScheme().equals("http") || upstream.getScheme().equals("https"))
                || upstream.getHost() == null) {
            problems.add("routes[" + name + "].upstream: must be an absolute http(s) URL, got " + upstream);
        } else if (upstream.getRawQuery() != null || upstream.getRawFragment() != null) {
            problems.add("routes[" + name + "].upstream: must not have a query or fragment");
        }
        if (recordedBaseUrl == null || URI.create(recordedBaseUrl).getScheme() == null) {
            problems.add("routes[" + name + "].recordedBaseUrl: must be an absolute URL, got " + recordedBaseUrl);
        }
        if (timeouts == null) {
            problems.add("routes[" + name + "].timeouts: required");
        }
        if (openaiSdkVersion != null && !VERSION.matcher(openaiSdkVersion).matches()) {
            problems.add("routes[" + name + "].openai-sdk-version: must be a version like 2.5.0, got '"
                    + openaiSdkVersion + "'");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        prefix = prefix.length() > 1 && prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
        recordedBaseUrl = trimSlash(recordedBaseUrl);
    }

    /** A route for everything, forwarding to {@code upstream}, recording {@code recordedBaseUrl}. */
    public static Route catchAll(String upstream, String recordedBaseUrl) {
        return new Route("default", "/", URI.create(trimSlash(upstream)), recordedBaseUrl);
    }

    /** {@link #parse(String, UpstreamTimeouts, String)} with the default timeouts and the client's SDK version. */
    public static Route parse(String spec) {
        return parse(spec, UpstreamTimeouts.DEFAULTS, null);
    }

    /**
     * Parses {@code name=N,prefix=P,upstream=U,recorded-base-url=B,openai-sdk-version=V,connect-timeout=T,
     * first-byte-timeout=T,idle-timeout=T} (prefix defaults to {@code /<name>}, the recorded base URL to
     * {@code <upstream>/v1}, each timeout to {@code defaults}', the SDK version to {@code defaultSdkVersion},
     * which may be null); every problem is reported.
     */
    public static Route parse(String spec, UpstreamTimeouts defaults, String defaultSdkVersion) {
        java.util.Map<String, String> fields = new java.util.LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        for (String part : spec.split(",")) {
            int eq = part.indexOf('=');
            if (eq <= 0) {
                problems.add("'" + part + "' is not key=value");
                continue;
            }
            String key = part.substring(0, eq).trim();
            if (!KEYS.contains(key)) {
                problems.add("unknown key '" + key + "' (known: " + String.join(", ", KEYS) + ")");
            }
            fields.put(key, part.substring(eq + 1).trim());
        }
        if (!fields.containsKey("name")) {
            problems.add("name is required");
        }
        if (!fields.containsKey("upstream")) {
            problems.add("upstream is required");
        }
        java.time.Duration connect = duration(fields, UpstreamTimeouts.CONNECT, defaults.connect(), problems);
        java.time.Duration firstByte = duration(fields, UpstreamTimeouts.FIRST_BYTE, defaults.firstByte(), problems);
        java.time.Duration idle = duration(fields, UpstreamTimeouts.IDLE, defaults.idle(), problems);
        UpstreamTimeouts timeouts = null;
        try {
            // a value that did not parse has its default here, so the rest are still checked
            timeouts = new UpstreamTimeouts(connect, firstByte, idle);
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid route '" + spec + "': " + String.join("; ", problems));
        }
        String upstream = trimSlash(fields.get("upstream"));
        return new Route(
                fields.get("name"),
                fields.getOrDefault("prefix", "/" + fields.get("name")),
                URI.create(upstream),
                fields.getOrDefault("recorded-base-url", upstream + "/v1"),
                timeouts,
                fields.getOrDefault(OPENAI_SDK_VERSION.name(), defaultSdkVersion));
    }

    private static java.time.Duration duration(
            java.util.Map<String, String> fields,
            dev.tapeline.settings.Setting<java.time.Duration> setting,
            java.time.Duration fallback,
            List<String> problems) {
        String value = fields.get(setting.name());
        if (value == null) {
            return fallback;
        }
        try {
            return setting.parse(value);
        } catch (IllegalArgumentException e) {
            problems.add(setting.name() + ": " + e.getMessage());
            return fallback;
        }
    }

    /** This route waiting for its upstream as {@code newTimeouts} say. */
    public Route withTimeouts(UpstreamTimeouts newTimeouts) {
        return new Route(name, prefix, upstream, recordedBaseUrl, newTimeouts, openaiSdkVersion);
    }

    /** This route recording {@code version} as the OpenAI SDK's (null: the client's). */
    public Route withOpenaiSdkVersion(String version) {
        return new Route(name, prefix, upstream, recordedBaseUrl, timeouts, version);
    }

    /** Whether the route serves this request path. */
    public boolean matches(String path) {
        return prefix.equals("/") || path.equals(prefix) || path.startsWith(prefix + "/");
    }

    /** The request path below the prefix: the endpoint. */
    public String endpointOf(String path) {
        String endpoint = prefix.equals("/") ? path : path.substring(prefix.length());
        return endpoint.isEmpty() ? "/" : endpoint;
    }

    private static String trimSlash(String url) {
        return url != null && url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }
}
