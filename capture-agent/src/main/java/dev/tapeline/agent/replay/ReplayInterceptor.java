package dev.tapeline.agent.replay;

import dev.tapeline.agent.AgentMode;
import dev.tapeline.agent.proxy.ErrorAnswers;
import dev.tapeline.agent.proxy.ExchangeInterceptor;
import dev.tapeline.agent.proxy.ExchangeRequest;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.GZIPOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replaying modes as a step before the upstream: a request with a fixture is answered from
 * it as the upstream would answer; one without is answered {@code 404} naming what was looked
 * for ({@code REPLAY}), or goes upstream to be recorded ({@code RECORD_IF_MISSING}).
 */
public final class ReplayInterceptor implements ExchangeInterceptor {

    private static final Logger LOG = LoggerFactory.getLogger(ReplayInterceptor.class);

    /** Misses logged once each; forgotten past this many. */
    private static final int MISSES_REMEMBERED = 10_000;

    private final FixtureReplay fixtures;
    private final AgentMode mode;
    private final MeterRegistry metrics;
    private final Set<String> misses = ConcurrentHashMap.newKeySet();
    private final ReplayListener listener;

    public ReplayInterceptor(FixtureReplay fixtures, AgentMode mode, MeterRegistry metrics) {
        this(fixtures, mode, metrics, ReplayListener.NONE);
    }

    /** @param listener told of every hit and miss (the request, what was found out) */
    public ReplayInterceptor(FixtureReplay fixtures, AgentMode mode, MeterRegistry metrics, ReplayListener listener) {
        if (!mode.replays()) {
            throw new IllegalArgumentException("mode " + mode + " does not replay");
        }
        this.fixtures = fixtures;
        this.mode = mode;
        this.metrics = metrics;
        this.listener = listener;
    }

    @Override
    public Future<Boolean> intercept(ExchangeRequest request, HttpServerResponse response) {
        Context context = Vertx.currentContext();
        // reading fixture files: off the event loop
        return context.executeBlocking(() -> fixtures.find(request), false).transform(lookup -> {
            if (lookup.failed()) {
                if (mode != AgentMode.REPLAY) {
                    return Future.succeededFuture(false);
                }
                // a request that cannot name a fixture (body not JSON, unsafe test id)
                ErrorAnswers.send(
                        response,
                        400,
                        "replay_unmatchable",
                        "cannot look this request up for replay: "
                                + lookup.cause().getMessage());
                return Future.succeededFuture(true);
            }
            if (lookup.result() instanceof FixtureReplay.Hit hit) {
                listener.hit(request, hit);
                serve(context.owner(), response, hit, request.startNanos());
                count("replayed");
                return Future.succeededFuture(true);
            }
            FixtureReplay.Miss miss = (FixtureReplay.Miss) lookup.result();
            listener.miss(request, miss);
            if (misses.add(miss.requestHash())) {
                // once per request: a test suite run again repeats its misses
                LOG.info(
                        "replay miss {} ({}, test id {}): {}",
                        miss.requestHash(),
                        miss.endpoint(),
                        miss.testId(),
                        mode == AgentMode.REPLAY ? miss.diagnosis() : miss.diagnosis() + "; recording it");
                if (misses.size() > MISSES_REMEMBERED) {
                    misses.clear();
                }
            }
            if (mode != AgentMode.REPLAY) {
                return Future.succeededFuture(false);
            }
            ErrorAnswers.send(response, 404, "replay_miss", miss.message(), miss.nearestJson());
            count("replay_miss");
            return Future.succeededFuture(true);
        });
    }

    private void count(String outcome) {
        metrics.counter("tapeline.agent.exchanges", "outcome", outcome).increment();
    }

    /**
     * Answers from a fixture as the upstream would: SSE or NDJSON chunk by chunk (at the recorded
     * pace where the fixture has its chunk timing), JSON otherwise, errors with their status; a
     * call recorded as broken off breaks off the same way (the connection is reset).
     */
    private static void serve(Vertx vertx, HttpServerResponse response, FixtureReplay.Hit hit, long startNanos) {
        if (hit.interrupted() && !hit.streaming()) {
            response.reset();
            return;
        }
        response.setStatusCode(hit.status());
        List<Buffer> frames = hit.chunks().stream()
                .map(chunk -> Buffer.buffer(hit.form().frame(chunk)))
                .toList();
        Buffer end = Buffer.buffer(hit.form().endBytes());
        if (!hit.headers().isEmpty() && (hit.asProvider() || hit.offsetsNanos().isEmpty())) {
            serveWithRecordedHeaders(response, hit, frames, end, hit.asProvider());
            return;
        }
        response.putHeader("X-Tapeline-Replay", hit.requestHash())
                .putHeader("Content-Type", hit.form().contentType());
        if (!hit.streaming()) {
            response.end(frames.get(0));
            return;
        }
        response.setChunked(true);
        writePaced(vertx, response, frames, hit.offsetsNanos(), startNanos, 0, hit.interrupted() ? null : end);
    }

    /**
     * Writes frame {@code i} and the rest, each when its recorded offset after the request is
     * reached, then {@code end}; a null {@code end} resets the connection instead (a broken stream).
     */
    private static void writePaced(
            Vertx vertx,
            HttpServerResponse response,
            List<Buffer> frames,
            List<Long> offsetsNanos,
            long startNanos,
            int i,
            Buffer end) {
        Future<Void> written = Future.succeededFuture();
        while (i < frames.size()) {
            long dueInNanos = i < offsetsNanos.size() ? startNanos + offsetsNanos.get(i) - System.nanoTime() : 0;
            if (dueInNanos >= 1_000_000) {
                int next = i;
                vertx.setTimer(dueInNanos / 1_000_000, t -> {
                    if (!response.closed()) {
                        writePaced(vertx, response, frames, offsetsNanos, startNanos, next, end);
                    }
                });
                return;
            }
            written = response.write(frames.get(i++));
        }
        if (end == null) {
            // after the last chunk has left: a reset drops what is still queued
            written.onComplete(done -> response.reset());
        } else {
            response.end(end);
        }
    }

    /**
     * Answers with the headers the upstream sent, in their order (the genai SDK records them), a
     * gzip {@code Content-Encoding} honoured. Framing headers are the server's own, except when
     * acting as the provider for a round trip ({@code exact}): then every header keeps its
     * recorded place.
     */
    private static void serveWithRecordedHeaders(
            HttpServerResponse response, FixtureReplay.Hit hit, List<Buffer> frames, Buffer end, boolean exact) {
        Buffer body = Buffer.buffer();
        frames.forEach(body::appendBuffer);
        body.appendBuffer(end);
        if (hit.headers().stream()
                .anyMatch(h -> h.getKey().equalsIgnoreCase("content-encoding")
                        && h.getValue().equalsIgnoreCase("gzip"))) {
            ByteArrayOutputStream zipped = new ByteArrayOutputStream();
            try (GZIPOutputStream out = new GZIPOutputStream(zipped)) {
                out.write(body.getBytes());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            body = Buffer.buffer(zipped.toByteArray());
        }
        for (Map.Entry<String, String> header : hit.headers()) {
            String name = header.getKey().toLowerCase(Locale.ROOT);
            if (name.equals("content-length")) {
                response.headers().add(header.getKey(), Integer.toString(body.length()));
            } else if (exact || !name.equals("transfer-encoding")) {
                response.headers().add(header.getKey(), header.getValue());
            }
        }
        if (!exact) {
            response.headers().add("X-Tapeline-Replay", hit.requestHash());
        }
        // exact: Netty's encoder chunks the body itself when the headers say so; the Content-Length
        // Vert.x then appends is dropped by the receiving HTTP/1.1 client
        response.end(body);
    }
}
