package dev.tapeline.agent.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tapeline.agent.AgentConfig;
import dev.tapeline.agent.Route;
import dev.tapeline.agent.UpstreamTimeouts;
import dev.tapeline.agent.capture.CapturingTap;
import dev.tapeline.schema.CaptureEvent;
import dev.tapeline.schema.ChunkReceived;
import dev.tapeline.schema.ExchangeCompleted;
import dev.tapeline.schema.ExchangeFailed;
import dev.tapeline.schema.FailureReason;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The outcome rules of a proxied exchange at its edges: a client's close, an upstream that hangs, the agent stopping. */
class ProxiedExchangeTest {

    private static final String SSE =
            "data: {\"id\":\"c1\",\"n\":1}\n\ndata: {\"id\":\"c1\",\"n\":2}\n\ndata: [DONE]\n\n";
    private static final String JSON = "{\"id\":\"c2\",\"object\":\"chat.completion\",\"choices\":[]}";

    private Vertx vertx;
    private HttpServer upstream;
    private CaptureProxy proxy;
    private final Queue<CaptureEvent> events = new ConcurrentLinkedQueue<>();
    private final List<Map<String, String>> upstreamHeaders = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startUpstream() throws Exception {
        vertx = Vertx.vertx();
        upstream = vertx.createHttpServer()
                .requestHandler(req -> req.body().onSuccess(body -> {
                    Map<String, String> headers = new java.util.LinkedHashMap<>();
                    req.headers()
                            .forEach(h -> headers.put(h.getKey().toLowerCase(java.util.Locale.ROOT), h.getValue()));
                    upstreamHeaders.add(headers);
                    HttpServerResponse response = req.response();
                    switch (req.path()) {
                        // the whole stream, [DONE] included, then the terminating chunk a little later, as a provider's
                        // last read
                        case "/v1/done-then-end" -> {
                            response.setChunked(true)
                                    .putHeader("Content-Type", "text/event-stream")
                                    .write(SSE);
                            vertx.setTimer(20, t -> response.end());
                        }
                        case "/v1/json" ->
                            response.putHeader("Content-Type", "application/json")
                                    .end(JSON);
                        case "/v1/hang" -> {
                            // never answers
                        }
                        case "/v1/stall" ->
                            response.setChunked(true)
                                    .putHeader("Content-Type", "text/event-stream")
                                    .write("data: {\"n\":1}\n\n");
                        case "/v1/paced" -> paced(response, 10, 100);
                        case "/v1/long" -> paced(response, 100, 100);
                        default -> response.setStatusCode(404).end();
                    }
                }))
                .listen(0, "127.0.0.1")
                .await(10, TimeUnit.SECONDS);
    }

    /** {@code chunks} SSE events {@code intervalMs} apart, then {@code [DONE]}. */
    private void paced(HttpServerResponse response, int chunks, long intervalMs) {
        response.setChunked(true).putHeader("Content-Type", "text/event-stream");
        AtomicInteger sent = new AtomicInteger();
        vertx.setPeriodic(intervalMs, id -> {
            if (response.closed()) {
                vertx.cancelTimer(id);
            } else if (sent.get() < chunks) {
                response.write("data: {\"n\":" + sent.incrementAndGet() + "}\n\n");
            } else {
                vertx.cancelTimer(id);
                response.end("data: [DONE]\n\n");
            }
        });
    }

    private void startProxy(String upstreamUrl, UpstreamTimeouts timeouts, Duration shutdownGrace) throws Exception {
        Route route = Route.catchAll(upstreamUrl, "https://api.openai.com/v1").withTimeouts(timeouts);
        AgentConfig config =
                AgentConfig.of("127.0.0.1", 0, "agent-test", List.of(route)).withShutdownGrace(shutdownGrace);
        CapturingTap tap =
                new CapturingTap("agent-test", events::add, Clock.systemUTC(), config.redactedHeaders(), 1 << 20);
        proxy = new CaptureProxy(config, tap, ExchangeInterceptor.NONE, new SimpleMeterRegistry(), vertx, false);
        proxy.start().await(10, TimeUnit.SECONDS);
    }

    private void startProxy() throws Exception {
        startProxy(upstreamUrl(), UpstreamTimeouts.DEFAULTS, AgentConfig.DEFAULT_SHUTDOWN_GRACE);
    }

    private String upstreamUrl() {
        return "http://127.0.0.1:" + upstream.actualPort();
    }

    @AfterEach
    void stop() throws Exception {
        if (proxy != null) {
            proxy.close();
        }
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private <T> List<T> payloads(Class<T> type) {
        return events.stream()
                .map(CaptureEvent::getPayload)
                .filter(type::isInstance)
                .map(type::cast)
                .toList();
    }

    private int ended() {
        return payloads(ExchangeCompleted.class).size()
                + payloads(ExchangeFailed.class).size();
    }

    private static Duration ms(long millis) {
        return Duration.ofMillis(millis);
    }

    @Test
    void givenClientsThatCloseRightAfterTheLastByte_whenThousandsOfExchanges_thenEveryOneIsCompleted()
            throws Exception {
        startProxy();
        int streams = 1_000;
        int answers = 2_000;
        ExecutorService clients = Executors.newFixedThreadPool(32);
        List<Future<String>> received = new ArrayList<>();
        for (int i = 0; i < streams + answers; i++) {
            // a Python urllib client reads the Content-Length bytes, an SSE client reads to [DONE]: then each closes
            byte[] request = i % 3 == 0
                    ? RawHttp.post("/v1/done-then-end", "{\"stream\":true,\"n\":" + i + "}")
                    : RawHttp.post("/v1/json", "{\"n\":" + i + "}");
            received.add(clients.submit(() -> RawHttp.exchangeThenClose(proxy.port(), request)));
        }
        for (Future<String> answer : received) {
            assertThat(answer.get(60, TimeUnit.SECONDS)).startsWith("HTTP/1.1 200");
        }
        clients.shutdown();

        await().atMost(Duration.ofSeconds(30)).until(() -> ended() == streams + answers);
        assertThat(payloads(ExchangeFailed.class))
                .as("exchanges whose whole answer was handed to the client")
                .extracting(failed -> failed.getReason() + ": " + failed.getMessage())
                .isEmpty();
        assertThat(payloads(ExchangeCompleted.class)).hasSize(streams + answers);
    }

    @Test
    void givenAClientThatLeavesWithMoreToCome_whenTheUpstreamSendsIt_thenClientDisconnectAndTheUpstreamIsReset()
            throws Exception {
        startProxy();
        try (Socket socket = new Socket("127.0.0.1", proxy.port())) {
            socket.getOutputStream().write(RawHttp.post("/v1/paced", "{\"stream\":true}"));
            java.io.InputStream in = socket.getInputStream();
            StringBuilder seen = new StringBuilder();
            while (!seen.toString().contains("{\"n\":2}")) {
                seen.append((char) in.read());
            }
        }

        await().atMost(Duration.ofSeconds(5)).until(() -> ended() == 1);
        ExchangeFailed failed = payloads(ExchangeFailed.class).get(0);
        assertThat(failed.getReason()).isEqualTo(FailureReason.CLIENT_DISCONNECT);
        assertThat(failed.getMessage()).isEqualTo("client closed the connection mid-response");
        assertThat(failed.getChunkCount()).isEqualTo(2);
    }

    @Test
    void
            givenAnUpstreamThatNeverAnswers_whenTheFirstByteTimeoutPasses_thenTheClientGets504AndUpstreamTimeoutIsRecorded()
                    throws Exception {
        // the connect timeout is long: an answer after it would mean the first-byte clock never ran
        startProxy(
                upstreamUrl(),
                new UpstreamTimeouts(ms(60_000), ms(300), ms(60_000)),
                AgentConfig.DEFAULT_SHUTDOWN_GRACE);
        long start = System.nanoTime();

        String answer = RawHttp.exchangeToEnd(proxy.port(), RawHttp.post("/v1/hang", "{}", "Connection: close"));

        assertThat(Duration.ofNanos(System.nanoTime() - start))
                .as("answered by the first-byte timeout, long before the" + " connect timeout")
                .isLessThan(Duration.ofSeconds(30));
        assertThat(answer)
                .startsWith("HTTP/1.1 504")
                .contains("\"code\":\"upstream_timeout\"")
                .contains("sent no response within 300ms (first-byte-timeout)");
        await().atMost(Duration.ofSeconds(5)).until(() -> ended() == 1);
        ExchangeFailed failed = payloads(ExchangeFailed.class).get(0);
        assertThat(failed.getReason()).isEqualTo(FailureReason.UPSTREAM_TIMEOUT);
        assertThat(failed.getMessage()).endsWith("sent no response within 300ms (first-byte-timeout)");
    }

    @Test
    void
            givenAnUpstreamThatStallsMidStream_whenTheIdleTimeoutPasses_thenTheStreamBreaksOffAndUpstreamTimeoutIsRecorded()
                    throws Exception {
        startProxy(
                upstreamUrl(),
                new UpstreamTimeouts(ms(60_000), ms(60_000), ms(300)),
                AgentConfig.DEFAULT_SHUTDOWN_GRACE);
        long start = System.nanoTime();

        RawHttp.Received answer = RawHttp.readThenClose(
                proxy.port(), RawHttp.post("/v1/stall", "{\"stream\":true}", "Connection: close"), received -> false);

        assertThat(Duration.ofNanos(System.nanoTime() - start))
                .as("broken off by the idle timeout, long before the others")
                .isLessThan(Duration.ofSeconds(30));
        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.body()).isEqualTo("data: {\"n\":1}\n\n");
        assertThat(answer.whole())
                .as("no terminating chunk: the client sees a broken stream, not a finished one")
                .isFalse();
        assertThat(answer.closed()).isTrue();
        await().atMost(Duration.ofSeconds(5)).until(() -> ended() == 1);
        ExchangeFailed failed = payloads(ExchangeFailed.class).get(0);
        assertThat(failed.getReason()).isEqualTo(FailureReason.UPSTREAM_TIMEOUT);
        assertThat(failed.getMessage()).endsWith("sent nothing for 300ms mid-response (idle-timeout)");
        assertThat(failed.getChunkCount()).isEqualTo(1);
    }

    @Test
    void givenAnUpstreamThatAcceptsNoConnection_whenTheConnectTimeoutPasses_thenTheClientGets504() throws Exception {
        // a listener whose accept queue is full: the kernel drops further SYNs, so connecting hangs
        try (ServerSocket full = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            List<Socket> queued = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    Socket socket = new Socket();
                    try {
                        socket.connect(full.getLocalSocketAddress(), 200);
                        queued.add(socket);
                    } catch (java.net.SocketTimeoutException hangs) {
                        socket.close();
                        break;
                    }
                }
                startProxy(
                        "http://127.0.0.1:" + full.getLocalPort(),
                        new UpstreamTimeouts(ms(300), ms(2_000), ms(2_000)),
                        AgentConfig.DEFAULT_SHUTDOWN_GRACE);

                String answer =
                        RawHttp.exchangeToEnd(proxy.port(), RawHttp.post("/v1/json", "{}", "Connection: close"));

                assertThat(answer).startsWith("HTTP/1.1 504").contains("within 300ms (connect-timeout)");
                await().atMost(Duration.ofSeconds(5)).until(() -> ended() == 1);
                assertThat(payloads(ExchangeFailed.class).get(0).getReason()).isEqualTo(FailureReason.UPSTREAM_TIMEOUT);
            } finally {
                for (Socket socket : queued) {
                    socket.close();
                }
            }
        }
    }

    @Test
    void givenOpenStreams_whenTheAgentStops_thenEachFinishesWithinTheGraceAndNewConnectionsAreRefused()
            throws Exception {
        startProxy();
        int port = proxy.port();
        ExecutorService clients = Executors.newFixedThreadPool(8);
        List<Future<String>> answers = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            byte[] request = RawHttp.post("/v1/paced", "{\"stream\":true,\"n\":" + i + "}");
            answers.add(clients.submit(() -> RawHttp.exchangeThenClose(port, request)));
        }
        await().atMost(Duration.ofSeconds(10))
                .until(() -> payloads(ChunkReceived.class).size() >= 8);

        Thread stopping = new Thread(proxy::close);
        stopping.start();

        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThatThrownBy(() -> new Socket("127.0.0.1", port).close())
                        .isInstanceOf(java.net.ConnectException.class));
        for (Future<String> answer : answers) {
            assertThat(answer.get(30, TimeUnit.SECONDS)).contains("data: {\"n\":10}\n\n", "data: [DONE]\n\n");
        }
        stopping.join(30_000);
        proxy = null;
        clients.shutdown();
        assertThat(payloads(ExchangeCompleted.class)).hasSize(8);
        assertThat(payloads(ExchangeFailed.class)).isEmpty();
    }

    @Test
    void givenAStreamLongerThanTheGrace_whenTheAgentStops_thenItEndsAsAgentShutdownAndTheClientSeesItBreak()
            throws Exception {
        startProxy(upstreamUrl(), UpstreamTimeouts.DEFAULTS, ms(300));
        int port = proxy.port();
        ExecutorService client = Executors.newSingleThreadExecutor();
        Future<String> answer = client.submit(
                () -> RawHttp.exchangeToEnd(port, RawHttp.post("/v1/long", "{\"stream\":true}", "Connection: close")));
        await().atMost(Duration.ofSeconds(10))
                .until(() -> !payloads(ChunkReceived.class).isEmpty());

        proxy.close();
        proxy = null;

        assertThat(answer.get(10, TimeUnit.SECONDS)).contains("data: {\"n\":1}").doesNotContain("[DONE]");
        client.shutdown();
        assertThat(ended()).isEqualTo(1);
        ExchangeFailed failed = payloads(ExchangeFailed.class).get(0);
        assertThat(failed.getReason()).isEqualTo(FailureReason.AGENT_SHUTDOWN);
        assertThat(failed.getMessage()).isEqualTo("the agent stopped before the exchange ended (shutdown grace 300ms)");
    }

    @Test
    void givenProxyCredentialsAndConnectionOptions_whenProxied_thenNeitherReachesTheUpstreamButAuthorizationDoes()
            throws Exception {
        startProxy();

        String answer = RawHttp.exchangeThenClose(
                proxy.port(),
                RawHttp.post(
                        "/v1/json",
                        "{}",
                        "Authorization: Bearer sk-upstream",
                        "Proxy-Authorization: Basic cHJveHk6c2VjcmV0",
                        "Connection: close, X-Hop-Only",
                        "X-Hop-Only: 1",
                        "Keep-Alive: timeout=5",
                        "X-Kept: 2"));

        assertThat(answer).startsWith("HTTP/1.1 200");
        assertThat(upstreamHeaders).hasSize(1);
        assertThat(upstreamHeaders.get(0))
                .containsEntry("authorization", "Bearer sk-upstream")
                .containsEntry("x-kept", "2")
                .doesNotContainKeys("proxy-authorization", "x-hop-only", "keep-alive");
    }
}
