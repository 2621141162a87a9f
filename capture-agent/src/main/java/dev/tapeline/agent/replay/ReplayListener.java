package dev.tapeline.agent.replay;

import dev.tapeline.agent.proxy.ExchangeRequest;

/** Told of each request a replaying agent answered, on the event loop: must not block. */
public interface ReplayListener {

    /** Hears nothing. */
    ReplayListener NONE = new ReplayListener() {};

    /** Answered from {@code hit}'s fixtures. */
    default void hit(ExchangeRequest request, FixtureReplay.Hit hit) {}

    /** No fixture: answered 404 (REPLAY) or sent upstream to be recorded (RECORD_IF_MISSING). */
    default void miss(ExchangeRequest request, FixtureReplay.Miss miss) {}
}
