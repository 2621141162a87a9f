package dev.tapeline.agent;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * How long the agent waits for an upstream before the client gets an answer of its own
 * ({@code 504}, or a stream broken off) and the exchange is recorded FAILED with
 * {@code UPSTREAM_TIMEOUT}.
 *
 * <p>The defaults stay below the OpenAI SDKs' own read timeout (600 s), so a client with default
 * settings hears from the agent before it gives up, and below the processor's idle timeout
 * (10 min), so a stalled upstream is recorded as a timeout, not as an idle exchange; they are long
 * enough for a reasoning model that thinks for minutes before its first token.
 *
 * @param connect   to get a connection to the upstream (TCP and TLS)
 * @param firstByte from the request sent to the response's status line
 * @param idle      between two pieces of the response body (and from the status line to the first)
 */
public record UpstreamTimeouts(Duration connect, Duration firstByte, Duration idle) {

    public static final UpstreamTimeouts DEFAULTS = new UpstreamTimeouts(Duration.ofSeconds(10), Duration.ofMinutes(5),
            Duration.ofMinutes(5));

    public UpstreamTimeouts {
        List<String> problems = new ArrayList<>();
        check(problems, "connect-timeout", connect);
        check(problems, "first-byte-timeout", firstByte);
        check(problems, "idle-timeout", idle);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
    }

    private static void check(List<String> problems, String name, Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            problems.add(name + ": must be positive, got " + value);
        } else if (value.toMillis() < 1) {
            problems.add(name + ": at least 1ms, got " + value);
        }
    }

    /** The longest the agent may wait without a byte from the upstream. */
    public Duration longest() {
        Duration longest = connect.compareTo(firstByte) >= 0 ? connect : firstByte;
        return longest.compareTo(idle) >= 0 ? longest : idle;
    }

    @Override
    public String toString() {
        return "connect " + Durations.format(connect) + ", first byte " + Durations.format(firstByte) + ", idle "
                + Durations.format(idle);
    }
}
