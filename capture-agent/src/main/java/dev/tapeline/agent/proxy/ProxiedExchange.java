package dev.tapeline.agent.proxy;

import dev.tapeline.agent.UpstreamTimeouts;
import dev.tapeline.schema.FailureReason;
import dev.tapeline.settings.Durations;
import io.vertx.core.Context;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One exchange forwarded to its upstream and relayed back to the client, piece by piece, with the
 * rules that decide its outcome. Every method runs on the client connection's context, so the
 * state needs no locking.
 *
 * <ul>
 * <li><b>COMPLETED</b>: the upstream's response ended and every byte of it was handed to the
 * client's connection, whatever the client does afterwards. A close seen while the response is
 * still open is judged by the upstream's next move: its end with nothing more to relay
 * (completed: a client that read to {@code data: [DONE]} and left before the terminating chunk
 * lost nothing), more body (the client misses it: disconnect), or nothing for
 * {@link #CLIENT_CLOSE_GRACE} (disconnect; the upstream is then reset).</li>
 * <li><b>CLIENT_DISCONNECT</b>: the client closed before that.</li>
 * <li><b>UPSTREAM_TIMEOUT</b>: no connection, no status line or no body piece within the route's
 * {@link UpstreamTimeouts}: the client gets {@code 504}, or, mid-response, a connection closed
 * before the end (what an SDK reports as a broken read).</li>
 * <li><b>UPSTREAM_ERROR</b> (no answer: {@code 502}), <b>UPSTREAM_RESET</b> (broken mid-response),
 * <b>AGENT_SHUTDOWN</b> (still open when the agent's shutdown grace ran out).</li>
 * </ul>
 */
final class ProxiedExchange {

    private static final Logger LOG = LoggerFactory.getLogger(ProxiedExchange.class);

    /** How long a client's close mid-response waits for the upstream's next move before it counts. */
    static final Duration CLIENT_CLOSE_GRACE = Duration.ofSeconds(1);

    /** Where an exchange reports its end: the outcome's metric name, once. */
    interface Ending {
        void ended(ProxiedExchange exchange, String outcome);
    }

    private enum Wait {
        CONNECT,
        FIRST_BYTE,
        IDLE
    }

    private final Vertx vertx;
    private final Context context;
    private final HttpServerResponse response;
    private final ExchangeRequest exchange;
    private final ExchangeObserver observer;
    private final UpstreamTimeouts timeouts;
    private final Ending ending;

    private HttpClientRequest upstreamRequest;
    private HttpClientResponse upstreamResponse;
    private boolean finished;
    private boolean clientClosed;
    /** Body bytes given to the client connection, and those the connection has taken. */
    private long relayedBytes;

    private long handedOverBytes;
    private Wait waiting;
    private long waitStartedNanos;
    private long watchdog = -1;
    private long watchdogDueNanos;
    private long graceTimer = -1;

    ProxiedExchange(
            Vertx vertx,
            HttpServerResponse response,
            ExchangeRequest exchange,
            ExchangeObserver observer,
            Ending ending) {
        this.vertx = vertx;
        this.context = vertx.getOrCreateContext();
        this.response = response;
        this.exchange = exchange;
        this.observer = observer;
        this.timeouts = exchange.route().timeouts();
        this.ending = ending;
    }

    /** Sends the request upstream; {@code headers} are the client's, as received, less the hop-by-hop ones. */
    void start(HttpClient client, RequestOptions options, MultiMap headers, Buffer body) {
        response.closeHandler(v -> onClientClosed());
        waitFor(Wait.CONNECT);
        // Netty's own connect timeout a little later than ours, so the outcome is always ours
        options.setHeaders(headers).setConnectTimeout(timeouts.connect().toMillis() + 1_000);
        client.request(options).onComplete(connected -> {
            if (connected.failed()) {
                upstreamFailed(connected.cause());
                return;
            }
            upstreamRequest = connected.result();
            if (finished) {
                upstreamRequest.reset();
                return;
            }
            waitFor(Wait.FIRST_BYTE);
            upstreamRequest.send(body).onComplete(sent -> {
                if (sent.failed()) {
                    upstreamFailed(sent.cause());
                } else {
                    relay(sent.result());
                }
            });
        });
    }

    private void relay(HttpClientResponse upstream) {
        if (finished) {
            upstream.request().reset();
            return;
        }
        upstreamResponse = upstream;
        response.setStatusCode(upstream.statusCode());
        response.setStatusMessage(upstream.statusMessage());
        boolean hasLength = false;
        java.util.Set<String> dropped = Headers.hopByHop(upstream.headers());
        for (Map.Entry<String, String> header : upstream.headers()) {
            String name = header.getKey().toLowerCase(Locale.ROOT);
            if (name.equals("content-length")) {
                hasLength = true;
                response.putHeader(header.getKey(), header.getValue());
            } else if (!dropped.contains(name)) {
                response.headers().add(header.getKey(), header.getValue());
            }
        }
        if (!hasLength) {
            response.setChunked(true);
        }
        observer.onResponseStarted(upstream.statusCode(), Headers.decoded(upstream.headers()));
        // the status and headers go to the client now, as the upstream sent them, not with the first body byte
        response.writeHead();
        waitFor(Wait.IDLE);
        upstream.handler(this::onUpstreamPiece);
        upstream.endHandler(v -> onUpstreamEnd());
        upstream.exceptionHandler(this::onUpstreamBroken);
    }

    private void onUpstreamPiece(Buffer piece) {
        if (finished || piece.length() == 0) {
            return;
        }
        waitStartedNanos = System.nanoTime();
        if (clientClosed) {
            clientDisconnected("client closed the connection mid-response");
            return;
        }
        int length = piece.length();
        relayedBytes += length;
        response.write(piece).onSuccess(v -> handedOverBytes += length);
        if (response.writeQueueFull()) {
            upstreamResponse.pause();
            response.drainHandler(v -> upstreamResponse.resume());
        }
        if (observer != ExchangeObserver.NONE) {
            // a copy the capture may keep; nothing to copy when nothing is captured (LIVE)
            observer.onResponseBytes(piece.getBytes());
        }
    }

    private void onUpstreamEnd() {
        if (finished) {
            return;
        }
        if (!clientClosed) {
            response.end();
        } else if (handedOverBytes < relayedBytes) {
            clientDisconnected("client closed the connection before it was sent the whole response (" + handedOverBytes
                    + " of " + relayedBytes + " bytes)");
            return;
        }
        finish("completed");
        observer.onCompleted();
    }

    private void onUpstreamBroken(Throwable error) {
        if (finished) {
            return;
        }
        if (clientClosed) {
            clientDisconnected("client closed the connection mid-response");
            return;
        }
        fail(FailureReason.UPSTREAM_RESET, "upstream connection failed mid-response: " + error);
        response.reset();
    }

    /** The client's connection closed: judged now where the answer is plainly unfinished, else at the upstream's next move. */
    private void onClientClosed() {
        if (finished || response.ended()) {
            return;
        }
        if (upstreamResponse == null) {
            clientDisconnected("client closed the connection before the response started");
            return;
        }
        clientClosed = true;
        graceTimer = vertx.setTimer(CLIENT_CLOSE_GRACE.toMillis(), id -> {
            graceTimer = -1;
            if (!finished) {
                clientDisconnected("client closed the connection mid-response");
            }
        });
    }

    private void clientDisconnected(String message) {
        fail(FailureReason.CLIENT_DISCONNECT, message);
        resetUpstream();
    }

    private void upstreamFailed(Throwable error) {
        if (finished) {
            return;
        }
        LOG.debug(
                "exchange {}: upstream {} failed: {}",
                exchange.completionId(),
                exchange.upstreamUrl(),
                error.toString());
        String message = "upstream " + exchange.route().upstream() + " failed: " + error.getMessage();
        fail(FailureReason.UPSTREAM_ERROR, message);
        answerOrBreak(502, "upstream_unreachable", message);
    }

    /** Starts the clock of what the exchange now waits for; the watchdog is moved up when this wait is shorter. */
    private void waitFor(Wait what) {
        waiting = what;
        waitStartedNanos = System.nanoTime();
        long dueNanos = waitStartedNanos + limit(what).toNanos();
        if (watchdog >= 0 && watchdogDueNanos > dueNanos) {
            vertx.cancelTimer(watchdog);
            watchdog = -1;
        }
        if (watchdog < 0) {
            arm(dueNanos);
        }
    }

    private void arm(long dueNanos) {
        watchdogDueNanos = dueNanos;
        watchdog = vertx.setTimer(Math.max(1, (dueNanos - System.nanoTime() + 999_999) / 1_000_000), id -> checkWait());
    }

    private Duration limit(Wait what) {
        return switch (what) {
            case CONNECT -> timeouts.connect();
            case FIRST_BYTE -> timeouts.firstByte();
            case IDLE -> timeouts.idle();
        };
    }

    /** The watchdog: one timer per exchange, re-armed for what is left, so a body piece costs no timer work. */
    private void checkWait() {
        watchdog = -1;
        if (finished) {
            return;
        }
        long dueNanos = waitStartedNanos + limit(waiting).toNanos();
        if (dueNanos - System.nanoTime() > 0) {
            arm(dueNanos);
            return;
        }
        if (clientClosed) {
            clientDisconnected("client closed the connection mid-response");
            return;
        }
        String message = switch (waiting) {
            case CONNECT ->
                "no connection to the upstream " + exchange.route().upstream() + " within "
                        + Durations.format(timeouts.connect()) + " (connect-timeout)";
            case FIRST_BYTE ->
                "the upstream " + exchange.route().upstream() + " sent no response within "
                        + Durations.format(timeouts.firstByte()) + " (first-byte-timeout)";
            case IDLE ->
                "the upstream " + exchange.route().upstream() + " sent nothing for " + Durations.format(timeouts.idle())
                        + " mid-response (idle-timeout)";
        };
        fail(FailureReason.UPSTREAM_TIMEOUT, message);
        resetUpstream();
        answerOrBreak(504, "upstream_timeout", message);
    }

    /**
     * Ends the exchange because the agent stops: recorded as AGENT_SHUTDOWN, the client answered
     * {@code 503} or its response broken off, the upstream reset. Safe from any thread.
     */
    void abortForShutdown(Duration grace) {
        context.runOnContext(v -> {
            if (finished) {
                return;
            }
            String message =
                    "the agent stopped before the exchange ended (shutdown grace " + Durations.format(grace) + ")";
            fail(FailureReason.AGENT_SHUTDOWN, message);
            resetUpstream();
            answerOrBreak(503, "agent_shutting_down", message);
        });
    }

    /** An error answer where the client has seen nothing yet; else its response is broken off. */
    private void answerOrBreak(int status, String code, String message) {
        if (response.ended() || response.closed()) {
            return;
        }
        if (!response.headWritten()) {
            ErrorAnswers.send(response, status, code, message);
        } else {
            response.reset();
        }
    }

    private void resetUpstream() {
        if (upstreamRequest != null) {
            upstreamRequest.reset();
        }
    }

    private void fail(FailureReason reason, String message) {
        finish(reason.name().toLowerCase(Locale.ROOT));
        observer.onFailed(reason, message);
    }

    private void finish(String outcome) {
        finished = true;
        if (watchdog >= 0) {
            vertx.cancelTimer(watchdog);
            watchdog = -1;
        }
        if (graceTimer >= 0) {
            vertx.cancelTimer(graceTimer);
            graceTimer = -1;
        }
        ending.ended(this, outcome);
    }

    String completionId() {
        return exchange.completionId();
    }
}
