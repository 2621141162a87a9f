package dev.tapeline.agent.proxy;

import dev.tapeline.schema.FailureReason;
import java.util.List;
import java.util.Map;

/**
 * Sees one exchange as the proxy forwards it. Every method has a pass-through default; calls
 * come from the event loop in order and must not block. Response bytes arrive exactly as the
 * upstream sent them, piece by piece; nothing is buffered for the observer.
 */
public interface ExchangeObserver {

    ExchangeObserver NONE = new ExchangeObserver() {};

    default void onResponseStarted(int status, List<Map.Entry<String, String>> headers) {}

    default void onResponseBytes(byte[] bytes) {}

    default void onCompleted() {}

    default void onFailed(FailureReason reason, String message) {}
}
