package dev.tapeline.bench;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.concurrent.TimeUnit;

/**
 * The simulated upstream of the load harness: an OpenAI-compatible chat completion, streamed as SSE
 * with the chunk count, size and interval the request's headers ask for ({@code X-Bench-Chunks},
 * {@code X-Bench-Bytes}, {@code X-Bench-Interval-Ms}; the status line at once, the first chunk one
 * interval later), or answered as one JSON body. Every chunk
 * carries the {@link System#nanoTime()} at which it was written, so a client in the same JVM
 * measures each chunk's latency through whatever sits in between.
 */
final class LoadUpstream implements AutoCloseable {

    /** Where a chunk's send time is written in its content: {@code "content":"t=<nanos>;..."}. */
    static final String STAMP = "\"content\":\"t=";

    private final Vertx vertx;
    private final HttpServer server;

    private LoadUpstream(Vertx vertx, HttpServer server) {
        this.vertx = vertx;
        this.server = server;
    }

    static LoadUpstream start() throws Exception {
        Vertx vertx = Vertx.vertx();
        HttpServer server = vertx.createHttpServer(
                        new HttpServerOptions().setTcpNoDelay(true).setIdleTimeout(0))
                .requestHandler(request -> request.body().onSuccess(body -> answer(vertx, request)));
        server.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
        return new LoadUpstream(vertx, server);
    }

    String url() {
        return "http://127.0.0.1:" + server.actualPort();
    }

    private static int header(HttpServerRequest request, String name, int fallback) {
        String value = request.getHeader(name);
        return value == null ? fallback : Integer.parseInt(value);
    }

    private static void answer(Vertx vertx, HttpServerRequest request) {
        int chunks = header(request, "X-Bench-Chunks", 20);
        int bytes = header(request, "X-Bench-Bytes", 64);
        int interval = header(request, "X-Bench-Interval-Ms", 10);
        String id = request.getHeader("X-Bench-Id") == null ? "0" : request.getHeader("X-Bench-Id");
        HttpServerResponse response = request.response();
        if (chunks == 0) {
            response.putHeader("Content-Type", "application/json").end(completion(id, bytes));
            return;
        }
        response.setChunked(true).putHeader("Content-Type", "text/event-stream; charset=utf-8");
        String padding = "x".repeat(Math.max(0, bytes));
        // the status line at once, the first chunk an interval later: a model's time to first token
        response.writeHead();
        if (interval <= 0) {
            send(vertx, response, id, padding, 0, chunks, interval);
        } else {
            vertx.setTimer(interval, t -> send(vertx, response, id, padding, 0, chunks, interval));
        }
    }

    private static void send(
            Vertx vertx, HttpServerResponse response, String id, String padding, int index, int chunks, int interval) {
        if (response.closed()) {
            return;
        }
        response.write(Buffer.buffer(chunk(id, padding, index)));
        if (index + 1 == chunks) {
            response.end("data: [DONE]\n\n");
        } else if (interval <= 0) {
            send(vertx, response, id, padding, index + 1, chunks, interval);
        } else {
            vertx.setTimer(interval, t -> send(vertx, response, id, padding, index + 1, chunks, interval));
        }
    }

    private static String chunk(String id, String padding, int index) {
        return "data: {\"id\":\"chatcmpl-" + id + "\",\"object\":\"chat.completion.chunk\",\"created\":1764115200,"
                + "\"model\":\"bench\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"t=" + System.nanoTime() + ";"
                + index
                + ";" + padding + "\"},\"finish_reason\":null}]}\n\n";
    }

    private static String completion(String id, int bytes) {
        return "{\"id\":\"chatcmpl-" + id
                + "\",\"object\":\"chat.completion\",\"created\":1764115200,\"model\":\"bench\","
                + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"t=" + System.nanoTime()
                + ";0;"
                + "x".repeat(Math.max(0, bytes)) + "\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1,"
                + "\"completion_tokens\":1,\"total_tokens\":2}}";
    }

    @Override
    public void close() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }
}
