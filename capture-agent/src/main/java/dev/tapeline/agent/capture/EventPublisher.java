package dev.tapeline.agent.capture;

import dev.tapeline.schema.CaptureEvent;

/** Takes capture events off the client's path. Must never block the caller. */
public interface EventPublisher extends AutoCloseable {

    void publish(CaptureEvent event);

    @Override
    default void close() {}
}
