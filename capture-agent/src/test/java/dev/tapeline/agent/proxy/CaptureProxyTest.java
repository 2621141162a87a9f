package dev.tapeline.agent.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tapeline.agent.AgentConfig;
import dev.tapeline.agent.AgentMode;
import dev.tapeline.agent.Route;
import dev.tapeline.agent.capture.CapturingTap;
import dev.tapeline.schema.CaptureEvent;
import dev.tapeline.schema.ChunkReceived;
import dev.tapeline.schema.ExchangeCompleted;
import dev.tapeline.schema.ExchangeFailed;
import dev.tapeline.schema.FailureReason;
import dev.tapeline.schema.Framing;
import dev.tapeline.schema.RequestStarted;
import dev.tapeline.schema.ResponseStarted;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CaptureProxyTest {

    private static final String SSE_BODY =
            "data: {\"id\":\"c1\",\"n\":1}\n\n: keep-alive\n\ndata: {\"id\":\"c1\",\"n\":2}\r\n\r\ndata: [DONE]\n\n";
    private static final String JSON_BODY = "{\"id\":\"c2\",\"object\":\"chat.completion\"}";

    private static final byte[] GZIPPED = gzip(JSON_BODY);

    /** Not SSE, not JSON, not UTF-8: what a broken provider might send. */
    private static final byte[] MALFORMED = concat(
            "data: {\"a\":1}\n\nthis line is not SSE\n\ndata: {not json\n\ndata: ".getBytes(StandardCharsets.UTF_8),
            new byte[] {(byte) 0xff, (byte) 0xfe, 'x'},
            "\n\ndata: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));

    private static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static byte[] gzip(String text) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream zip = new java.util.zip.GZIPOutputStream(out)) {
            zip.write(text.getBytes(StandardCharsets.UTF_8));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** A 24 MB answer: far more than a client socket takes at once, so the relay waits for the client. */
    private static final byte[] LARGE =
            ("{\"content\":\"" + "q".repeat(24 << 20) + "\"}").getBytes(StandardCharsets.UTF_8);

    /** Completed by a test to let {@code /v1/held} send its body. */
    private final io.vertx.core.Promise<Void> held = io.vertx.core.Promise.promise();

    private Vertx vertx;
    private HttpServer upstream;
    private CaptureProxy proxy;
    private final List<CaptureEvent> events = new CopyOnWriteArrayList<>();
    private final List<String> upstreamAuth = new CopyOnWriteArrayList<>();
    private final HttpClient http =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        upstream = vertx.createHttpServer()
                .requestHandler(req -> req.body().onSuccess(body -> {
                    if (!req.path().equals("/version")) {
                        upstreamAuth.add(String.valueOf(req.getHeader("Authorization")));
                    }
                    switch (req.path()) {
                        case "/version" ->
                            req.response()
                                    .putHeader("Content-Type", "application/json")
                                    .end("{\"version\":\"0.9.2rc1\"}");
                        case "/v1/chat/completions" -> {
                            if (body.toString().contains("\"stream\":true")) {
                                req.response().setChunked(true).putHeader("Content-Type", "text/event-stream");
                                // several writes, split mid-event, as a provider's TCP reads would be
                                int third = SSE_BODY.length() / 3;
                                req.response().write(SSE_BODY.substring(0, third));
                                vertx.setTimer(20, t -> {
                                    req.response().write(SSE_BODY.substring(third, 2 * third));
                                    vertx.setTimer(20, t2 -> req.response().end(SSE_BODY.substring(2 * third)));
                                });
                            } else {
                                req.response()
                                        .putHeader("Content-Type", "application/json")
                                        .end(JSON_BODY);
                            }
                        }
                        case "/v1/held" -> {
                            // the status and headers at once, the body only when the test says so
                            req.response()
                                    .setChunked(true)
                                    .putHeader("Content-Type", "text/event-stream")
                                    .writeHead();
                            held.future().onComplete(go -> req.response().end("data: {\"a\":1}\n\ndata: [DONE]\n\n"));
                        }
                        case "/v1/large" ->
                            req.response()
                                    .putHeader("Content-Type", "application/json")
                                    .end(io.vertx.core.buffer.Buffer.buffer(LARGE));
                        case "/v1/gzipped" ->
                            req.response()
                                    .putHeader("Content-Type", "application/json")
                                    .putHeader("Content-Encoding", "gzip")
                                    .end(io.vertx.core.buffer.Buffer.buffer(GZIPPED));
                        case "/v1/malformed" ->
                            req.response()
                                    .putHeader("Content-Type", "text/event-stream")
                                    .end(io.vertx.core.buffer.Buffer.buffer(MALFORMED));
                        case "/v1/truncated" ->
                            req.response()
                                    .putHeader("Content-Type", "text/event-stream")
                                    .end("data: {\"a\":1}\n\ndata: {\"b\":");
                        case "/v1/slow" -> {
                            req.response()
                                    .setChunked(true)
                                    .putHeader("Content-Type", "text/event-stream")
                                    .write("data: {\"a\":1}\n\n");
                            vertx.setTimer(3_000, t -> {
                                if (!req.response().closed()) {
                                    req.response().end("data: [DONE]\n\n");
                                }
                            });
                        }
                        case "/v1/broken" -> {
                            req.response()
                                    .setChunked(true)
                                    .putHeader("Content-Type", "text/event-stream")
                                    .write("data: {\"a\":1}\n\n");
                            vertx.setTimer(50, t -> req.connection().close());
                        }
                        default -> req.response().setStatusCode(404).end("{\"error\":\"nope\"}");
                    }
                }))
                .listen(0, "127.0.0.1")
                .await(10, TimeUnit.SECONDS);
        AgentConfig config = new AgentConfig(
                "127.0.0.1",
                0,
                "agent-test",
                List.of(Route.catchAll("http://127.0.0.1:" + upstream.actualPort(), "https://api.openai.com/v1")),
                1024,
                java.util.Set.of(),
                java.util.Set.of(),
                AgentMode.RECORD);
        CapturingTap tap =
                new CapturingTap("agent-test", events::add, Clock.systemUTC(), config.redactedHeaders(), 1 << 20);
        proxy = new CaptureProxy(config, tap, ExchangeInterceptor.NONE, new SimpleMeterRegistry(), vertx, false);
        proxy.start().await(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + path))
                        .header("Authorization", "Bearer sk-secret-123")
                        .header("X-Test-Id", "tests/integration/inference/test_a.py::test_b")
                        .header("X-Stainless-Package-Version", "2.5.0")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void givenAnUpstreamThatSendsItsStatusBeforeItsBody_whenProxied_thenTheClientHasTheStatusBeforeTheBody()
            throws Exception {
        java.util.concurrent.CompletableFuture<HttpResponse<java.io.InputStream>> response = http.sendAsync(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + "/v1/held"))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"stream\":true}"))
                        .build(),
                HttpResponse.BodyHandlers.ofInputStream());

        // the body is still held upstream: only the status and headers can have come through
        await().atMost(java.time.Duration.ofSeconds(10)).until(response::isDone);
        assertThat(response.get().statusCode()).isEqualTo(200);
        assertThat(response.get().headers().firstValue("Content-Type")).contains("text/event-stream");
        held.complete();
        try (java.io.InputStream body = response.get().body()) {
            assertThat(new String(body.readAllBytes(), StandardCharsets.UTF_8))
                    .isEqualTo("data: {\"a\":1}\n\ndata: [DONE]\n\n");
        }
    }

    @Test
    void givenALargeAnswerToASlowClient_whenRelayedWithBackpressure_thenEveryPieceIsCapturedOnceInOrder()
            throws Exception {
        HttpResponse<java.io.InputStream> response = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + "/v1/large"))
                        .POST(HttpRequest.BodyPublishers.ofString("{}"))
                        .build(),
                HttpResponse.BodyHandlers.ofInputStream());
        java.io.ByteArrayOutputStream received = new java.io.ByteArrayOutputStream();
        try (java.io.InputStream body = response.body()) {
            byte[] buffer = new byte[16 * 1024];
            int read;
            int reads = 0;
            while ((read = body.read(buffer)) >= 0) {
                received.write(buffer, 0, read);
                if (++reads % 64 == 0) {
                    Thread.sleep(1); // a client slower than the upstream: the relay pauses and resumes it
                }
            }
        }

        assertThat(received.toByteArray()).isEqualTo(LARGE);
        await().atMost(java.time.Duration.ofSeconds(10))
                .until(() -> !payloads(ExchangeCompleted.class).isEmpty());
        List<ChunkReceived> chunks = payloads(ChunkReceived.class);
        assertThat(chunks)
                .extracting(ChunkReceived::getSequence)
                .as("each piece numbered once, in order")
                .containsExactlyElementsOf(java.util.stream.LongStream.range(0, chunks.size())
                        .boxed()
                        .toList());
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        chunks.forEach(chunk -> captured.writeBytes(dev.tapeline.schema.Buffers.toArray(chunk.getData())));
        assertThat(captured.toByteArray())
                .as("the capture holds every byte the client got")
                .isEqualTo(LARGE);
        assertThat(payloads(ExchangeCompleted.class).get(0).getChunkCount()).isEqualTo(chunks.size());
    }

    @Test
    void
            givenMalformedSseWithInvalidJsonAndNonUtf8Bytes_whenProxied_thenTheClientGetsTheExactBytesAndEachDataLineIsCapturedAsSent()
                    throws Exception {
        HttpResponse<byte[]> response = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + "/v1/malformed"))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"stream\":true}"))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());

        assertThat(response.body()).isEqualTo(MALFORMED);
        await().atMost(java.time.Duration.ofSeconds(5))
                .until(() -> !payloads(ExchangeCompleted.class).isEmpty());
        List<byte[]> data = payloads(ChunkReceived.class).stream()
                .map(c -> dev.tapeline.schema.Buffers.toArray(c.getData()))
                .toList();
        assertThat(data).hasSize(4);
        assertThat(new String(data.get(1), StandardCharsets.UTF_8)).isEqualTo("{not json");
        assertThat(data.get(2))
                .as("bytes kept as sent, not decoded")
                .isEqualTo(new byte[] {(byte) 0xff, (byte) 0xfe, 'x'});
        assertThat(payloads(ExchangeCompleted.class).get(0).getChunkCount()).isEqualTo(4);
    }

    @Test
    void givenAStreamCutMidEvent_whenTheUpstreamEndsIt_thenTheClientGetsTheBytesAndOnlyWholeEventsAreCaptured()
            throws Exception {
        HttpResponse<String> response = post("/v1/truncated", "{\"stream\":true}");

        assertThat(response.body()).isEqualTo("data: {\"a\":1}\n\ndata: {\"b\":");
        await().atMost(java.time.Duration.ofSeconds(5))
                .until(() -> !payloads(ExchangeCompleted.class).isEmpty());
        assertThat(payloads(ChunkReceived.class)).hasSize(1);
        assertThat(payloads(ExchangeCompleted.class).get(0).getChunkCount()).isEqualTo(1);
    }

    @Test
    void givenHeadersBeyond64Kb_whenSent_then431AndNothingCapturedOrForwarded() throws Exception {
        HttpResponse<String> response = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + "/v1/chat/completions"))
                        .header("X-Huge", "x".repeat(100 * 1024))
                        .POST(HttpRequest.BodyPublishers.ofString("{}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(431);
        assertThat(response.headers().firstValue("Connection")).contains("close");
        assertThat(response.body()).contains("\"code\":\"headers_too_large\"");
        assertThat(events).isEmpty();
        assertThat(upstreamAuth).isEmpty();
    }

    @Test
    void givenAClientThatLeavesMidStream_whenItDisconnects_thenTheExchangeEndsClientDisconnectAndNothingWaits()
            throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", proxy.port())) {
            String body = "{\"stream\":true}";
            socket.getOutputStream()
                    .write(("POST /v1/slow HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                    + "Content-Length: " + body.length() + "\r\n\r\n" + body)
                            .getBytes(StandardCharsets.UTF_8));
            java.io.InputStream in = socket.getInputStream();
            StringBuilder seen = new StringBuilder();
            while (!seen.toString().contains("data: {")) {
                seen.append((char) in.read());
            }
        } // the client is gone before the stream ends

        await().atMost(java.time.Duration.ofSeconds(5))
                .until(() -> !payloads(ExchangeFailed.class).isEmpty());
        ExchangeFailed failed = payloads(ExchangeFailed.class).get(0);
        assertThat(failed.getReason()).isEqualTo(FailureReason.CLIENT_DISCONNECT);
        assertThat(failed.getChunkCount()).isEqualTo(1);
        assertThat(payloads(ExchangeCompleted.class)).isEmpty();
    }

    private <T> List<T> payloads(Class<T> type) {
        return events.stream()
                .map(CaptureEvent::getPayload)
                .filter(type::isInstance)
                .map(type::cast)
                .toList();
    }

    @Test
    void givenStreamingChat_whenProxied_thenClientGetsUpstreamBytesAndOneEventPerSseEvent() throws Exception {
        HttpResponse<String> response = post("/v1/chat/completions", "{\"model\":\"m\",\"stream\":true}");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(SSE_BODY);
        await().atMost(Duration.ofSeconds(5))
                .until(() -> !payloads(ExchangeCompleted.class).isEmpty());
        RequestStarted request = payloads(RequestStarted.class).get(0);
        assertThat(request.getEndpoint()).isEqualTo("/v1/chat/completions");
        assertThat(request.getRecordedUrl()).isEqualTo("https://api.openai.com/v1/v1/chat/completions");
        assertThat(request.getTestId()).isEqualTo("tests/integration/inference/test_a.py::test_b");
        assertThat(request.getClientSdkVersion()).isEqualTo("2.5.0");
        assertThat(request.getServerVersion())
                .as("asked at the upstream's /version, as llama-stack does")
                .isEqualTo("0.9.2rc1");
        assertThat(request.getHeaders()).noneMatch(h -> h.getName().equalsIgnoreCase("authorization"));
        assertThat(payloads(ResponseStarted.class).get(0).getFraming()).isEqualTo(Framing.SSE);
        assertThat(payloads(ChunkReceived.class))
                .extracting(c -> StandardCharsets.UTF_8.decode(c.getData()).toString())
                .containsExactly("{\"id\":\"c1\",\"n\":1}", "{\"id\":\"c1\",\"n\":2}", "[DONE]");
        assertThat(payloads(ChunkReceived.class))
                .extracting(ChunkReceived::getSequence)
                .containsExactly(0L, 1L, 2L);
        assertThat(payloads(ExchangeCompleted.class).get(0).getChunkCount()).isEqualTo(3);
        assertThat(events)
                .extracting(CaptureEvent::getCompletionId)
                .containsOnly(events.get(0).getCompletionId());
        assertThat(upstreamAuth).containsExactly("Bearer sk-secret-123");
    }

    @Test
    void givenNonStreamingChat_whenProxied_thenBodyPassedAndCapturedAsBody() throws Exception {
        HttpResponse<String> response = post("/v1/chat/completions", "{\"model\":\"m\"}");

        assertThat(response.body()).isEqualTo(JSON_BODY);
        await().atMost(Duration.ofSeconds(5))
                .until(() -> !payloads(ExchangeCompleted.class).isEmpty());
        assertThat(payloads(ResponseStarted.class).get(0).getFraming()).isEqualTo(Framing.BODY);
        String captured = payloads(ChunkReceived.class).stream()
                .map(c -> StandardCharsets.UTF_8.decode(c.getData()).toString())
                .reduce("", String::concat);
        assertThat(captured).isEqualTo(JSON_BODY);
    }

    @Test
    void givenUpstreamResetMidStream_whenProxied_thenFailedEventWithReason() throws Exception {
        try {
            post("/v1/broken", "{}");
        } catch (java.io.IOException expected) {
            // the client sees the reset too
        }

        await().atMost(Duration.ofSeconds(5))
                .until(() -> !payloads(ExchangeFailed.class).isEmpty()
                        || !payloads(ExchangeCompleted.class).isEmpty());
        assertThat(payloads(ExchangeCompleted.class)).isEmpty();
        ExchangeFailed failed = payloads(ExchangeFailed.class).get(0);
        assertThat(failed.getReason()).isEqualTo(FailureReason.UPSTREAM_RESET);
        assertThat(failed.getMessage()).startsWith("upstream connection failed mid-response: ");
        assertThat(failed.getChunkCount()).isEqualTo(1);
    }

    @Test
    void givenBodyOverLimit_whenPosted_then413WithClearMessageAndNothingCaptured() throws Exception {
        HttpResponse<String> response = post("/v1/chat/completions", "x".repeat(2000));

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(response.body()).contains("exceeds the agent's limit of 1024 bytes");
        assertThat(events).isEmpty();
    }

    @Test
    void givenUpstreamDown_whenPosted_then502AndFailedEvent() throws Exception {
        upstream.close().await(5, TimeUnit.SECONDS);

        HttpResponse<String> response = post("/v1/chat/completions", "{}");

        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(response.body()).contains("upstream_unreachable");
        await().atMost(Duration.ofSeconds(5))
                .until(() -> !payloads(ExchangeFailed.class).isEmpty());
        assertThat(payloads(ExchangeFailed.class).get(0).getReason()).isEqualTo(FailureReason.UPSTREAM_ERROR);
    }

    @Test
    void givenGzippedUpstreamAnswer_whenProxied_thenClientGetsCompressedBytesAndCaptureKeepsThemRaw() throws Exception {
        HttpResponse<byte[]> response = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + "/v1/gzipped"))
                        .header("Accept-Encoding", "gzip")
                        .POST(HttpRequest.BodyPublishers.ofString("{}"))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());

        assertThat(response.headers().firstValue("Content-Encoding")).contains("gzip");
        assertThat(response.body()).isEqualTo(GZIPPED);
        await().atMost(Duration.ofSeconds(5))
                .until(() -> !payloads(ExchangeCompleted.class).isEmpty());
        assertThat(payloads(ResponseStarted.class).get(0).getFraming()).isEqualTo(Framing.BODY);
        byte[] captured = payloads(ChunkReceived.class).stream()
                .map(c -> dev.tapeline.schema.Buffers.toArray(c.getData()))
                .reduce(new byte[0], (a, b) -> {
                    byte[] all = java.util.Arrays.copyOf(a, a.length + b.length);
                    System.arraycopy(b, 0, all, a.length, b.length);
                    return all;
                });
        assertThat(captured).isEqualTo(GZIPPED);
    }

    @Test
    void givenRouteHeader_whenRouteExists_thenUsedAndHeaderNotForwardedElseClear404() throws Exception {
        HttpResponse<String> routed = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + "/v1/chat/completions"))
                        .header(AgentConfig.ROUTE_HEADER, "default")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m\"}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> unknown = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + "/v1/chat/completions"))
                        .header(AgentConfig.ROUTE_HEADER, "nope")
                        .POST(HttpRequest.BodyPublishers.ofString("{}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(routed.statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(5))
                .until(() -> !payloads(RequestStarted.class).isEmpty());
        assertThat(payloads(RequestStarted.class).get(0).getRoute()).isEqualTo("default");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.body()).contains("no route named 'nope'", "default /");
    }

    @Test
    void givenSeveralCores_whenStarted_thenOneServerPerCoreAllOnTheOnePort() {
        assertThat(proxy.listeningPorts())
                .hasSize(Math.max(1, Runtime.getRuntime().availableProcessors()))
                .containsOnly(proxy.port());
    }

    @Test
    void givenRecordedBaseUrls_whenVersionPathDerived_thenV1StrippedLikeLlamaStack() {
        assertThat(VersionProbe.versionPath("http://localhost:8000/v1")).isEqualTo("/version");
        assertThat(VersionProbe.versionPath("http://localhost:8000/v1/")).isEqualTo("/version");
        assertThat(VersionProbe.versionPath("https://x.example.com/openai/v1")).isEqualTo("/openai/version");
        assertThat(VersionProbe.versionPath("http://localhost:8000")).isEqualTo("/version");
    }

    @Test
    void givenAUtf8TestIdRawInAHeaderOrEscapedInProviderData_whenProxied_thenBothReadAsTheSameTestId()
            throws Exception {
        String testId = "tests/integration/\u00fcn\u00ef/test_u.py::test_x";

        RawHttp.exchangeThenClose(
                proxy.port(), RawHttp.post("/v1/chat/completions", "{\"model\":\"m\"}", "X-Test-Id: " + testId));
        RawHttp.exchangeThenClose(
                proxy.port(),
                RawHttp.post(
                        "/v1/chat/completions",
                        "{\"model\":\"m\"}",
                        "X-LlamaStack-Provider-Data: {\"__test_id\": \"tests/integration/\\u00fcn\\u00ef/test_u.py::test_x\"}"));

        await().atMost(Duration.ofSeconds(5))
                .until(() -> payloads(ExchangeCompleted.class).size() == 2);
        assertThat(payloads(RequestStarted.class))
                .extracting(RequestStarted::getTestId)
                .containsExactly(testId, testId);
        assertThat(payloads(RequestStarted.class).get(0).getHeaders())
                .as("recorded headers read as UTF-8 too")
                .anyMatch(h -> h.getName().equals("X-Test-Id") && h.getValue().equals(testId));
    }
}
