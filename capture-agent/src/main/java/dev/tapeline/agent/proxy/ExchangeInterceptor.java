package dev.tapeline.agent.proxy;

import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;

/**
 * A step before the upstream: sees each request the proxy accepted and may answer it itself
 * (replay from fixtures). Pass-through by default. Called on the client connection's event loop;
 * must not block it.
 */
public interface ExchangeInterceptor {

    /** Answers nothing: every request goes upstream. */
    ExchangeInterceptor NONE = new ExchangeInterceptor() {};

    /** Completes with true where it answered the request itself, false to let the proxy forward it. */
    default Future<Boolean> intercept(ExchangeRequest request, HttpServerResponse response) {
        return Future.succeededFuture(false);
    }
}
