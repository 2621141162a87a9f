package dev.tapeline.agent.proxy;

import dev.tapeline.agent.AgentConfig;
import dev.tapeline.agent.Redaction;
import dev.tapeline.agent.Route;
import dev.tapeline.fixture.path.TestIds;
import dev.tapeline.settings.Durations;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The capture agent's HTTP proxy: forwards each request to its route's upstream and streams the
 * response back piece by piece as it arrives (flushed per read, back-pressured, never buffered
 * whole), while an {@link ExchangeTap} observes the exchange. Request bodies are read whole (up
 * to a limit) before forwarding, since a recording needs them and they are small.
 */
public final class CaptureProxy implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CaptureProxy.class);
    private final AgentConfig config;
    private final ExchangeTap tap;
    private final ExchangeInterceptor interceptor;
    private final MeterRegistry metrics;
    private final Vertx vertx;
    private final boolean ownsVertx;
    /** One server per event loop, sharing the port: Vert.x spreads the connections across them. */
    private final List<HttpServer> servers = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Exchanges forwarded upstream and not ended yet. */
    private final Set<ProxiedExchange> open = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * The upstream client of each event loop, created on it: a pooled connection serves only the
     * exchanges of the event loop it lives on, so a body piece goes from the upstream's connection
     * to the client's without a hop to another thread (one client for all let an exchange on one
     * event loop take a connection of another: a cross-thread hand-over per piece).
     */
    private final List<HttpClient> clients = new java.util.concurrent.CopyOnWriteArrayList<>();

    /**
     * @param tap         sees the exchanges the mode captures
     * @param interceptor sees each request first and may answer it (the replaying modes), else {@link ExchangeInterceptor#NONE}
     */
    public CaptureProxy(AgentConfig config, ExchangeTap tap, ExchangeInterceptor interceptor, MeterRegistry metrics) {
        this(config, tap, interceptor, metrics, Vertx.vertx(), true);
    }

    public CaptureProxy(
            AgentConfig config,
            ExchangeTap tap,
            ExchangeInterceptor interceptor,
            MeterRegistry metrics,
            Vertx vertx,
            boolean ownsVertx) {
        this.config = config;
        this.tap = config.mode().captures() ? tap : ExchangeTap.NONE;
        this.interceptor = interceptor;
        this.metrics = metrics;
        this.vertx = vertx;
        this.ownsVertx = ownsVertx;
    }

    /** Starts listening; completes with the bound port. */
    public Future<Integer> start() {
        int instances = Math.max(1, Runtime.getRuntime().availableProcessors());
        if (config.port() != 0 || instances == 1) {
            return listen(config.port(), instances);
        }
        // servers share a port only when they ask for the same one: pick a free one first (and again if taken
        // meanwhile)
        return listenOnFreePort(instances, 3);
    }

    private Future<Integer> listenOnFreePort(int instances, int attempts) {
        int port;
        try (java.net.ServerSocket probe =
                new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName(config.host()))) {
            port = probe.getLocalPort();
        } catch (java.io.IOException e) {
            return Future.failedFuture(e);
        }
        return listen(port, instances).recover(error -> {
            if (attempts > 1 && error instanceof java.net.BindException) {
                return closeServers().compose(v -> listenOnFreePort(instances, attempts - 1));
            }
            return Future.failedFuture(error);
        });
    }

    private Future<Void> closeServers() {
        List<Future<Void>> closing =
                new ArrayList<>(servers.stream().map(HttpServer::close).toList());
        closing.addAll(clients.stream().map(HttpClient::close).toList());
        servers.clear();
        clients.clear();
        return Future.join(closing).mapEmpty();
    }

    /**
     * What one event loop forwards with: its upstream client, and the server versions asked with it
     * (their answers, too, complete on this event loop).
     */
    private record Upstream(HttpClient client, VersionProbe versions) {}

    /** The upstream client of the calling event loop's verticle. */
    private HttpClient newUpstreamClient() {
        HttpClient client = vertx.createHttpClient(
                new HttpClientOptions()
                        .setKeepAlive(true)
                        .setForceSni(true)
                        .setDecompressionSupported(false)
                        .setMaxInitialLineLength(64 * 1024),
                new PoolOptions().setHttp1MaxSize(1000));
        clients.add(client);
        return client;
    }

    /**
     * {@code instances} servers on {@code port}, each on an event loop of its own with its upstream
     * client (a verticle each).
     */
    private Future<Integer> listen(int port, int instances) {
        java.util.concurrent.atomic.AtomicInteger bound = new java.util.concurrent.atomic.AtomicInteger();
        return vertx.deployVerticle(
                        () -> new io.vertx.core.VerticleBase() {
                            @Override
                            public Future<?> start() {
                                HttpServer server = vertx.createHttpServer(new HttpServerOptions()
                                        .setHost(config.host())
                                        .setPort(port)
                                        .setMaxInitialLineLength(MAX_HEADER_BYTES)
                                        .setMaxHeaderSize(MAX_HEADER_BYTES)
                                        .setHandle100ContinueAutomatically(true)
                                        .setCompressionSupported(false)
                                        .setHttp2ClearTextEnabled(false));
                                servers.add(server);
                                Upstream upstream = new Upstream(newUpstreamClient(), new VersionProbe());
                                return server.requestHandler(request -> handle(request, upstream))
                                        .invalidRequestHandler(CaptureProxy.this::refuseUndecodable)
                                        .listen()
                                        .onSuccess(listening -> bound.set(listening.actualPort()));
                            }
                        },
                        new io.vertx.core.DeploymentOptions().setInstances(instances))
                .map(id -> bound.get());
    }

    /** The longest request line, and the most header bytes, the agent reads. */
    static final int MAX_HEADER_BYTES = 64 * 1024;

    /** How long a connection whose request could not be decoded stays open after its answer. */
    static final Duration LINGER = Duration.ofSeconds(2);

    /**
     * A request the HTTP decoder refused (headers or request line beyond 64 KB, not HTTP): 431,
     * 414 or 400 with {@code Connection: close}, then the connection closes a moment later rather
     * than at once. A client still sending the rest of its oversized request would otherwise get a
     * reset instead of the answer: closing a socket with unread bytes makes the close a TCP RST, and
     * an RST can discard the answer before the client reads it. Meanwhile the decoder reads and
     * drops what still comes; a client that reads the answer closes first.
     */
    private void refuseUndecodable(HttpServerRequest request) {
        Throwable cause = request.decoderResult().cause();
        HttpServerResponse response = request.response().putHeader("Connection", "close");
        if (cause instanceof io.netty.handler.codec.http.TooLongHttpHeaderException) {
            ErrorAnswers.send(
                    response, 431, "headers_too_large", "request headers beyond " + MAX_HEADER_BYTES / 1024 + " KB");
        } else if (cause instanceof io.netty.handler.codec.http.TooLongHttpLineException) {
            ErrorAnswers.send(
                    response, 414, "request_line_too_long", "request line beyond " + MAX_HEADER_BYTES / 1024 + " KB");
        } else {
            ErrorAnswers.send(response, 400, "bad_request", "not an HTTP/1.1 request: " + cause);
        }
        count("refused_undecodable");
        vertx.setTimer(LINGER.toMillis(), timer -> request.connection().close());
    }

    public int port() {
        return servers.get(0).actualPort();
    }

    /** The port of each server (one per event loop): all the same. */
    List<Integer> listeningPorts() {
        return servers.stream().map(HttpServer::actualPort).toList();
    }

    private void handle(HttpServerRequest request, Upstream upstream) {
        long startNanos = System.nanoTime();
        String path = request.path();
        String named = request.getHeader(AgentConfig.ROUTE_HEADER);
        Route route = named != null ? config.routeNamed(named) : config.routeFor(path);
        if (route == null) {
            ErrorAnswers.send(
                    request.response(),
                    404,
                    "no_route",
                    (named != null ? "no route named '" + named + "'" : "no route serves path " + path)
                            + "; configured routes: "
                            + config.routes().stream()
                                    .map(r -> r.name() + " " + r.prefix())
                                    .toList());
            return;
        }
        String contentLength = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (contentLength != null && parseLong(contentLength) > config.maxRequestBodyBytes()) {
            ErrorAnswers.send(
                    request.response(),
                    413,
                    "request_too_large",
                    "request body of " + contentLength + " bytes exceeds the agent's limit of "
                            + config.maxRequestBodyBytes() + " bytes");
            request.connection().close();
            return;
        }
        Buffer body = Buffer.buffer();
        boolean[] refused = {false};
        request.handler(piece -> {
            if (refused[0]) {
                return;
            }
            if (body.length() + piece.length() > config.maxRequestBodyBytes()) {
                refused[0] = true;
                ErrorAnswers.send(
                        request.response(),
                        413,
                        "request_too_large",
                        "request body exceeds the agent's limit of " + config.maxRequestBodyBytes() + " bytes");
                request.connection().close();
                return;
            }
            body.appendBuffer(piece);
        });
        request.endHandler(v -> {
            if (!refused[0]) {
                forward(request, route, body, startNanos, upstream);
            }
        });
    }

    private void forward(HttpServerRequest request, Route route, Buffer body, long startNanos, Upstream upstream) {
        // a route picked by header serves any path; its prefix is stripped where the path has it
        String endpoint = route.matches(request.path()) ? route.endpointOf(request.path()) : request.path();
        String query = request.query();
        String upstreamUrl = route.upstream() + endpoint + (query == null ? "" : "?" + query);
        String maskedQuery = Redaction.maskQuery(query, config.redactedQueryParams());

        List<Map.Entry<String, String>> requestHeaders = Headers.decoded(request.headers());
        String completionId = UuidV7.next(System.currentTimeMillis()).toString();
        String sdkVersion = recordedSdkVersion(
                route, request.getHeader("X-Stainless-Lang"), request.getHeader("X-Stainless-Package-Version"));
        // like llama-stack, ask the upstream for its version when an OpenAI SDK version is recorded
        Future<String> serverVersion = config.mode().captures() && sdkVersion != null
                ? upstream.versions().versionOf(route, upstream.client())
                : Future.succeededFuture();
        serverVersion.onComplete(version -> dispatch(
                upstream.client(),
                request,
                body,
                upstreamUrl,
                new ExchangeRequest(
                        completionId,
                        route,
                        request.method().name(),
                        request.path() + (maskedQuery == null ? "" : "?" + maskedQuery),
                        endpoint,
                        route.upstream() + endpoint + (maskedQuery == null ? "" : "?" + maskedQuery),
                        requestHeaders,
                        Redaction.maskBodyPaths(body.getBytes(), config.redactedBodyPaths()),
                        TestIds.fromHeaders(name -> Headers.utf8(request.getHeader(name))),
                        sdkVersion,
                        startNanos,
                        version.result())));
    }

    private void dispatch(
            HttpClient client, HttpServerRequest request, Buffer body, String upstreamUrl, ExchangeRequest exchange) {
        interceptor.intercept(exchange, request.response()).onComplete(answered -> {
            if (answered.failed()) {
                LOG.warn(
                        "exchange {}: the interceptor failed; answering 500",
                        exchange.completionId(),
                        answered.cause());
                count("interceptor_failed");
                ErrorAnswers.send(request.response(), 500, "interceptor_failed", String.valueOf(answered.cause()));
            } else if (!answered.result()) {
                proxy(client, request, body, exchange, upstreamUrl);
            }
        });
    }

    private void proxy(
            HttpClient client, HttpServerRequest request, Buffer body, ExchangeRequest exchange, String upstreamUrl) {
        ProxiedExchange proxied =
                new ProxiedExchange(vertx, request.response(), exchange, openSafely(exchange), (ended, outcome) -> {
                    open.remove(ended);
                    count(outcome);
                });
        open.add(proxied);
        proxied.start(
                client,
                new RequestOptions()
                        .setMethod(HttpMethod.valueOf(request.method().name()))
                        .setAbsoluteURI(upstreamUrl)
                        .setFollowRedirects(false),
                Headers.forwarded(request.headers()),
                body);
    }

    private ExchangeObserver openSafely(ExchangeRequest exchange) {
        try {
            return tap.open(exchange);
        } catch (RuntimeException e) {
            LOG.warn("exchange {}: capture could not start, proxying without it", exchange.completionId(), e);
            count("capture_failed");
            return ExchangeObserver.NONE;
        }
    }

    /**
     * The OpenAI SDK version a fixture records: the route's ({@code --openai-sdk-version}), else the
     * Python SDK client's; other SDKs (Java, Node) send their own version, which llama-stack's
     * Python server would not record, so none.
     */
    static String recordedSdkVersion(Route route, String stainlessLang, String stainlessPackageVersion) {
        if (route.openaiSdkVersion() != null) {
            return route.openaiSdkVersion();
        }
        if (stainlessLang != null && !stainlessLang.equalsIgnoreCase("python")) {
            return null;
        }
        return stainlessPackageVersion;
    }

    private void count(String outcome) {
        metrics.counter("tapeline.agent.exchanges", "outcome", outcome).increment();
    }

    private static long parseLong(String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Stops gracefully within the configured shutdown grace: stops accepting, lets open exchanges
     * finish (connections close as their response ends), ends those still open at the grace as
     * AGENT_SHUTDOWN, then stops. Every outcome has been handed to the tap when this returns.
     */
    @Override
    public void close() {
        Duration grace = config.shutdownGrace();
        try {
            Future<Void> stopped = Future.join(servers.stream()
                            .map(server ->
                                    server.shutdown(grace.toMillis() + ABORT_MARGIN.toMillis(), TimeUnit.MILLISECONDS))
                            .toList())
                    .mapEmpty();
            if (!open.isEmpty()) {
                LOG.info("waiting up to {} for {} open exchanges to finish", Durations.format(grace), open.size());
            }
            try {
                stopped.await(grace.toMillis(), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                LOG.warn(
                        "{} exchanges still open after the shutdown grace of {}: ended as AGENT_SHUTDOWN",
                        open.size(),
                        Durations.format(grace));
                open.forEach(exchange -> exchange.abortForShutdown(grace));
                stopped.await(ABORT_MARGIN.toMillis(), TimeUnit.MILLISECONDS);
            }
            Future.join(clients.stream().map(HttpClient::close).toList()).await(10, TimeUnit.SECONDS);
            if (ownsVertx) {
                vertx.close().await(10, TimeUnit.SECONDS);
            }
        } catch (java.util.concurrent.TimeoutException e) {
            LOG.warn("agent did not stop within its time (clients or Vert.x still closing): {}", e.toString());
        }
    }

    /** After the grace: time for exchanges ended as AGENT_SHUTDOWN to tell their clients before connections are closed. */
    private static final Duration ABORT_MARGIN = Duration.ofSeconds(5);
}
