package dev.tapeline.agent;

import dev.tapeline.settings.Setting;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Capture agent settings, validated at once: every problem is reported with its field's name.
 *
 * @param host               address to listen on
 * @param port               port to listen on (0 = any free port)
 * @param agentId            identifies this agent in events
 * @param routes             upstreams, matched by longest prefix first
 * @param maxRequestBodyBytes larger request bodies are refused with 413
 * @param redactedHeaders    header names (any case) never published, on top of the defaults
 * @param redactedQueryParams query parameter names whose values are masked in published paths
 * @param mode               record, replay, record-if-missing or live
 * @param redactedBodyPaths  JSON body paths ({@code a.b}, {@code *} for any key or item) whose
 *                           values are masked before anything is published or looked up
 * @param shutdownGrace      how long a stopping agent lets open exchanges finish
 */
public record AgentConfig(
        String host,
        int port,
        String agentId,
        List<Route> routes,
        long maxRequestBodyBytes,
        Set<String> redactedHeaders,
        Set<String> redactedQueryParams,
        AgentMode mode,
        List<String> redactedBodyPaths,
        Duration shutdownGrace) {

    public static final Setting<Duration> SHUTDOWN_GRACE = Setting.duration(
            "shutdown-grace",
            Duration.ofSeconds(30),
            "On Ctrl-C or SIGTERM: stop accepting, let open exchanges finish this long (those still open are"
                    + " recorded as AGENT_SHUTDOWN), send every capture event, then stop.");

    public static final Setting<String> AGENT_ID = Setting.text(
            "agent-id",
            "",
            "This agent's name in every capture event and in its metrics; default <host name>:<port>, so agents scaled"
                    + " out can be told apart.");

    /** The default agent id: this machine's name and the agent's port (its process id where the port is picked later). */
    public static String defaultAgentId(int port) {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "localhost";
        }
        return host + ":"
                + (port > 0
                        ? String.valueOf(port)
                        : "pid" + ProcessHandle.current().pid());
    }

    /** What a stopping agent gives open exchanges unless told otherwise. */
    public static final Duration DEFAULT_SHUTDOWN_GRACE = SHUTDOWN_GRACE.defaultValue();

    /** Without body paths to mask, the default shutdown grace. */
    public AgentConfig(
            String host,
            int port,
            String agentId,
            List<Route> routes,
            long maxRequestBodyBytes,
            Set<String> redactedHeaders,
            Set<String> redactedQueryParams,
            AgentMode mode) {
        this(
                host,
                port,
                agentId,
                routes,
                maxRequestBodyBytes,
                redactedHeaders,
                redactedQueryParams,
                mode,
                List.of(),
                DEFAULT_SHUTDOWN_GRACE);
    }

    /** Credential headers that are never published, whatever the configuration says. */
    public static final Set<String> ALWAYS_REDACTED_HEADERS = Set.of(
            "authorization",
            "proxy-authorization",
            "api-key",
            "x-api-key",
            "cookie",
            "set-cookie",
            "x-goog-api-key",
            "x-llamastack-provider-data",
            "x-ogx-provider-data");
    /** Query parameters whose values are always masked. */
    public static final Set<String> ALWAYS_REDACTED_QUERY_PARAMS = Set.of("key", "api_key", "api-key");

    /** Request header that picks a route by name, whatever the path; never forwarded. */
    public static final String ROUTE_HEADER = "X-Tapeline-Route";

    public AgentConfig {
        List<String> problems = new ArrayList<>();
        if (host == null || host.isBlank()) {
            problems.add("host: required");
        }
        if (port < 0 || port > 65535) {
            problems.add("port: must be 0..65535, got " + port);
        }
        if (agentId == null || agentId.isBlank()) {
            problems.add("agentId: required");
        }
        if (routes == null || routes.isEmpty()) {
            problems.add("routes: at least one route is required");
        } else {
            Set<String> prefixes = new LinkedHashSet<>();
            Set<String> names = new LinkedHashSet<>();
            for (Route route : routes) {
                if (!prefixes.add(route.prefix())) {
                    problems.add("routes: prefix " + route.prefix() + " is used twice");
                }
                if (!names.add(route.name())) {
                    problems.add("routes: name " + route.name() + " is used twice");
                }
            }
        }
        if (maxRequestBodyBytes <= 0) {
            problems.add("maxRequestBodyBytes: must be positive");
        }
        if (mode == null) {
            problems.add("mode: required, one of " + Arrays.toString(AgentMode.values()));
        }
        for (String path : redactedBodyPaths == null ? List.<String>of() : redactedBodyPaths) {
            if (path == null
                    || path.isBlank()
                    || List.of(path.split("\\.", -1)).stream().anyMatch(String::isBlank)) {
                problems.add("redactedBodyPaths: '" + path + "' is not a dot-separated path of keys (or *)");
            }
        }
        SHUTDOWN_GRACE.check(shutdownGrace, problems);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid agent configuration: " + String.join("; ", problems));
        }
        routes = routes.stream()
                .sorted((a, b) ->
                        Integer.compare(b.prefix().length(), a.prefix().length()))
                .toList();
        redactedHeaders = lowerCaseUnion(ALWAYS_REDACTED_HEADERS, redactedHeaders);
        redactedQueryParams = lowerCaseUnion(ALWAYS_REDACTED_QUERY_PARAMS, redactedQueryParams);
        redactedBodyPaths = redactedBodyPaths == null ? List.of() : List.copyOf(redactedBodyPaths);
    }

    /** This configuration with more secrets to keep out of events: header names, query parameters, JSON body paths. */
    public AgentConfig withSecrets(Set<String> headers, Set<String> queryParams, List<String> bodyPaths) {
        return new AgentConfig(
                host,
                port,
                agentId,
                routes,
                maxRequestBodyBytes,
                lowerCaseUnion(redactedHeaders, headers),
                lowerCaseUnion(redactedQueryParams, queryParams),
                mode,
                Stream.concat(redactedBodyPaths.stream(), bodyPaths.stream())
                        .distinct()
                        .toList(),
                shutdownGrace);
    }

    /** This configuration giving open exchanges {@code grace} when the agent stops. */
    public AgentConfig withShutdownGrace(Duration grace) {
        return new AgentConfig(
                host,
                port,
                agentId,
                routes,
                maxRequestBodyBytes,
                redactedHeaders,
                redactedQueryParams,
                mode,
                redactedBodyPaths,
                grace);
    }

    /** Record mode, 64 MB request bodies, the built-in redactions. */
    public static AgentConfig of(String host, int port, String agentId, List<Route> routes) {
        return of(host, port, agentId, routes, AgentMode.RECORD);
    }

    /** The given mode, 64 MB request bodies, the built-in redactions. */
    public static AgentConfig of(String host, int port, String agentId, List<Route> routes, AgentMode mode) {
        return new AgentConfig(host, port, agentId, routes, 64L * 1024 * 1024, Set.of(), Set.of(), mode);
    }

    /** The route with this name, or null. */
    public Route routeNamed(String name) {
        return routes.stream().filter(r -> r.name().equals(name)).findFirst().orElse(null);
    }

    /** The route serving this path, or null. */
    public Route routeFor(String path) {
        for (Route route : routes) {
            if (route.matches(path)) {
                return route;
            }
        }
        return null;
    }

    private static Set<String> lowerCaseUnion(Set<String> always, Set<String> extra) {
        Set<String> all = new LinkedHashSet<>(always);
        if (extra != null) {
            extra.forEach(h -> all.add(h.toLowerCase(Locale.ROOT)));
        }
        return Set.copyOf(all);
    }
}
