package dev.tapeline.app;

import dev.tapeline.fixture.repo.FixtureFile;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * An upstream that answers each request with the corpus recording its {@value #FIXTURE_HEADER}
 * header names, as a provider would send it: compact JSON in provider form (its own key order,
 * nulls left out, real-looking ids and timestamps), its status, SSE {@code data:} lines ending
 * with {@code data: [DONE]}, passthrough streams exactly as recorded. Routes {@code /r<i>} stand
 * for the i-th base URL; {@code /r<i>/version} answers as a vLLM server of that base URL would
 * where {@code versions} has one, else 404.
 */
final class CorpusUpstream implements AutoCloseable {

    static final String FIXTURE_HEADER = "X-Tapeline-Test-Fixture";

    private final Vertx vertx;
    private final HttpServer server;

    private CorpusUpstream(Vertx vertx, HttpServer server) {
        this.vertx = vertx;
        this.server = server;
    }

    static CorpusUpstream start(Map<String, FixtureFile> byName, List<String> bases, Map<String, String> versions)
            throws TimeoutException {
        Vertx vertx = Vertx.vertx();
        HttpServer server = vertx.createHttpServer()
                .requestHandler(req -> req.body().onSuccess(body -> {
                    if (req.path().endsWith("/version")) {
                        String base = bases.get(Integer.parseInt(
                                req.path().substring(2, req.path().indexOf('/', 1))));
                        if (versions.containsKey(base)) {
                            req.response().end("{\"version\":\"" + versions.get(base) + "\"}");
                        } else {
                            req.response().setStatusCode(404).end();
                        }
                        return;
                    }
                    FixtureFile file = byName.get(req.getHeader(FIXTURE_HEADER));
                    HttpServerResponse response = req.response().setStatusCode(file.wireStatus());
                    if (file.isPassthrough() && file.isStreaming()) {
                        // the stream exactly as recorded: event and data lines, blank-line separated
                        response.putHeader("Content-Type", "text/event-stream")
                                .end(new String(file.wireResponseChunks().get(0), StandardCharsets.UTF_8));
                    } else if (file.isStreaming() && !file.isException()) {
                        response.setChunked(true).putHeader("Content-Type", "text/event-stream");
                        for (byte[] chunk : file.providerResponseChunks(RoundTrip::providerLike)) {
                            response.write("data: " + new String(chunk, StandardCharsets.UTF_8) + "\n\n");
                        }
                        response.end("data: [DONE]\n\n");
                    } else {
                        response.putHeader("Content-Type", "application/json")
                                .end(new String(
                                        file.providerResponseChunks(RoundTrip::providerLike)
                                                .get(0),
                                        StandardCharsets.UTF_8));
                    }
                }))
                .listen(0, "127.0.0.1")
                .await(10, TimeUnit.SECONDS);
        return new CorpusUpstream(vertx, server);
    }

    /** The base URL of route {@code i}'s upstream. */
    String url(int route) {
        return "http://127.0.0.1:" + server.actualPort() + "/r" + route;
    }

    @Override
    public void close() throws TimeoutException {
        vertx.close().await(10, TimeUnit.SECONDS);
    }
}
