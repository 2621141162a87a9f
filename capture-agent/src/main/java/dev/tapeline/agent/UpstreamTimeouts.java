package dev.tapeline.agent;

import dev.tapeline.settings.Durations;
import dev.tapeline.settings.Setting;
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

    public static final Setting<Duration> CONNECT = Setting.positiveDuration(
            "connect-timeout",
            Duration.ofSeconds(10),
            "How long the agent waits for a connection to an upstream before answering 504 and recording UPSTREAM_TIMEOUT.");
    public static final Setting<Duration> FIRST_BYTE = Setting.positiveDuration(
            "first-byte-timeout",
            Duration.ofMinutes(5),
            "How long the agent waits for an upstream's status line, e.g. a long non-streaming generation.");
    public static final Setting<Duration> IDLE = Setting.positiveDuration(
            "idle-timeout",
            Duration.ofMinutes(5),
            "How long the agent waits between two pieces of an upstream's response body before breaking the client's"
                    + " stream off.");
    /** The keys of a route spec, and after {@code --upstream-} the options that set them for every route. */
    public static final List<Setting<Duration>> SETTINGS = List.of(CONNECT, FIRST_BYTE, IDLE);

    /** The options that set each timeout for every route: {@code --upstream-connect-timeout} and the others. */
    public static final List<Setting<Duration>> OPTIONS =
            SETTINGS.stream().map(s -> s.withName("upstream-" + s.name())).toList();

    public static final UpstreamTimeouts DEFAULTS =
            new UpstreamTimeouts(CONNECT.defaultValue(), FIRST_BYTE.defaultValue(), IDLE.defaultValue());

    public UpstreamTimeouts {
        List<String> problems = new ArrayList<>();
        CONNECT.check(connect, problems);
        FIRST_BYTE.check(firstByte, problems);
        IDLE.check(idle, problems);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
    }

    /** The timeouts {@link #OPTIONS} give, the defaults for those not given. */
    public static UpstreamTimeouts of(dev.tapeline.settings.SettingValues values) {
        return new UpstreamTimeouts(values.get(OPTIONS.get(0)), values.get(OPTIONS.get(1)), values.get(OPTIONS.get(2)));
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
