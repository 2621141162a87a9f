package dev.tapeline.agent;

/** What the agent does with a request, as llama-stack's recording modes. */
public enum AgentMode {
    /** Proxy to the upstream and capture the exchange. */
    RECORD,
    /** Answer from the fixture repository only; a miss is an error that says how to record it. */
    REPLAY,
    /** Answer from the fixture repository; proxy and capture what is not there yet. */
    RECORD_IF_MISSING,
    /** Plain proxy: nothing captured. */
    LIVE;

    public boolean captures() {
        return this == RECORD || this == RECORD_IF_MISSING;
    }

    public boolean replays() {
        return this == REPLAY || this == RECORD_IF_MISSING;
    }
}
