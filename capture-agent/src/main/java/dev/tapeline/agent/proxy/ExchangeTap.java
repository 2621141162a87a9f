package dev.tapeline.agent.proxy;

/**
 * Where the proxy lets captured traffic out. {@link #open} is called once per exchange, on the
 * event loop, and must not block; the returned observer sees the exchange as it happens.
 */
@FunctionalInterface
public interface ExchangeTap {

    /** Sees nothing: the agent is a plain proxy. */
    ExchangeTap NONE = request -> ExchangeObserver.NONE;

    ExchangeObserver open(ExchangeRequest request);
}
