package dev.tapeline.app.inspector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tapeline.agent.proxy.ExchangeRequest;
import dev.tapeline.agent.replay.FixtureReplay;
import dev.tapeline.fixture.python.PyJson;
import dev.tapeline.schema.Buffers;
import dev.tapeline.schema.CaptureEvent;
import dev.tapeline.schema.ChunkReceived;
import dev.tapeline.schema.ExchangeCompleted;
import dev.tapeline.schema.ExchangeFailed;
import dev.tapeline.schema.Header;
import dev.tapeline.schema.RequestStarted;
import dev.tapeline.schema.ResponseStarted;
import dev.tapeline.sink.FixtureSink;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * What this JVM saw lately, for the inspector page: the exchanges its agent captured (from the
 * capture events themselves, so redacted exactly as the topics are), what the sink made of each
 * (fixture written, unchanged, not written and why) and the replay misses with their diagnosis.
 * Bounded: the newest {@value #KEPT} exchanges and {@value #MISSES_KEPT} misses; a stream's bytes
 * beyond {@value #BYTES_KEPT} per exchange are not kept (its chunk times are).
 */
public final class Inspector {

    static final int KEPT = 500;
    static final int MISSES_KEPT = 100;
    static final int BYTES_KEPT = 1 << 20;
    /** A fixture shown whole up to this size. */
    static final int FIXTURE_SHOWN = 1 << 20;

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** One exchange as the capture events told it. */
    private static final class Exchange {
        final String id;
        final Instant startedAt;
        RequestStarted request;
        Integer status;
        String framing;
        final List<Long> chunkOffsetsNanos = new ArrayList<>();
        /** The chunks' bytes, one copy each (on the event loop for every chunk: no text built until a page asks). */
        final List<byte[]> chunkData = new ArrayList<>();

        long dataBytes;
        boolean truncated;
        String outcome = "OPEN";
        String reason;
        Long durationNanos;
        String fixture = "pending";
        String fixturePath;
        String fixtureReason;

        Exchange(String id, Instant startedAt) {
            this.id = id;
            this.startedAt = startedAt;
        }
    }

    private final Clock clock;
    private final Map<String, Exchange> exchanges = new LinkedHashMap<>();
    private final Deque<ObjectNode> misses = new ArrayDeque<>();
    private final List<Consumer<String>> subscribers = new CopyOnWriteArrayList<>();

    public Inspector(Clock clock) {
        this.clock = clock;
    }

    /** A capture event the agent publishes (called on its event loops: quick, never blocking). */
    public void observe(CaptureEvent event) {
        ObjectNode summary;
        synchronized (this) {
            Exchange exchange = exchanges.get(event.getCompletionId());
            Object payload = event.getPayload();
            if (exchange == null) {
                if (!(payload instanceof RequestStarted)) {
                    return; // an exchange older than the ones kept
                }
                exchange = new Exchange(event.getCompletionId(), event.getTimestampMs());
                exchanges.put(exchange.id, exchange);
                if (exchanges.size() > KEPT) {
                    Iterator<String> oldest = exchanges.keySet().iterator();
                    oldest.next();
                    oldest.remove();
                }
            }
            if (payload instanceof RequestStarted request) {
                exchange.request = request;
            } else if (payload instanceof ResponseStarted response) {
                exchange.status = response.getStatus();
                exchange.framing = response.getFraming().name();
            } else if (payload instanceof ChunkReceived chunk) {
                exchange.chunkOffsetsNanos.add(chunk.getOffsetNanos());
                byte[] bytes = Buffers.toArray(chunk.getData());
                if (exchange.dataBytes + bytes.length <= BYTES_KEPT) {
                    exchange.dataBytes += bytes.length;
                    exchange.chunkData.add(bytes);
                } else {
                    exchange.truncated = true;
                }
            } else if (payload instanceof ExchangeCompleted completed) {
                exchange.outcome = "COMPLETED";
                exchange.durationNanos = completed.getDurationNanos();
            } else if (payload instanceof ExchangeFailed failed) {
                exchange.outcome = "FAILED";
                exchange.reason = failed.getReason() + ": " + failed.getMessage();
                exchange.durationNanos = failed.getDurationNanos();
            }
            // on the agent's event loop for every chunk: the summary only when a page listens
            summary = subscribers.isEmpty() ? null : summary(exchange);
        }
        if (summary != null) {
            publish("exchange", summary);
        }
    }

    /** What the sink made of an exchange's recording. */
    public void fixture(FixtureSink.Written written) {
        update(written.completionId(), exchange -> {
            exchange.fixture = written.result().name().toLowerCase(java.util.Locale.ROOT);
            exchange.fixturePath = written.path().toString();
        });
    }

    /** A recording the sink wrote no fixture for, and why. */
    public void notWritten(FixtureSink.NotWritten notWritten) {
        update(notWritten.completionId(), exchange -> {
            exchange.fixture = "not written";
            exchange.fixtureReason = notWritten.reason();
        });
    }

    private void update(String completionId, Consumer<Exchange> change) {
        ObjectNode summary;
        synchronized (this) {
            Exchange exchange = completionId == null ? null : exchanges.get(completionId);
            if (exchange == null) {
                return;
            }
            change.accept(exchange);
            summary = subscribers.isEmpty() ? null : summary(exchange);
        }
        if (summary != null) {
            publish("exchange", summary);
        }
    }

    /** A replay miss, with the nearest recording and the differences. */
    public void miss(ExchangeRequest request, FixtureReplay.Miss miss) {
        ObjectNode json = NODES.objectNode()
                .put("time", clock.instant().toString())
                .put("hash", miss.requestHash())
                .put("testId", miss.testId())
                .put("endpoint", miss.endpoint())
                .put("model", miss.model())
                .put("route", request.route().name())
                .put("diagnosis", miss.diagnosis());
        if (miss.nearest() != null) {
            json.set("nearest", miss.nearestJson());
        }
        synchronized (this) {
            misses.addFirst(json);
            if (misses.size() > MISSES_KEPT) {
                misses.removeLast();
            }
        }
        publish("miss", json);
    }

    /** The exchanges kept, newest first. */
    public synchronized ArrayNode exchanges() {
        ArrayNode list = NODES.arrayNode();
        List<Exchange> newestFirst = new ArrayList<>(exchanges.values());
        for (int i = newestFirst.size() - 1; i >= 0; i--) {
            list.add(summary(newestFirst.get(i)));
        }
        return list;
    }

    /** The misses kept, newest first. */
    public synchronized ArrayNode misses() {
        ArrayNode list = NODES.arrayNode();
        misses.forEach(list::add);
        return list;
    }

    /** One exchange whole: its request as published, its answer, its fixture, its chunk times; null if not kept. */
    public ObjectNode exchange(String id) {
        ObjectNode detail;
        String fixturePath;
        synchronized (this) {
            Exchange exchange = exchanges.get(id);
            if (exchange == null) {
                return null;
            }
            detail = summary(exchange);
            ObjectNode request = detail.putObject("request");
            if (exchange.request != null) {
                request.put("method", exchange.request.getMethod())
                        .put("path", exchange.request.getPath())
                        .put("upstreamUrl", exchange.request.getUpstreamUrl());
                ObjectNode headers = request.putObject("headers");
                for (Header header : exchange.request.getHeaders()) {
                    headers.put(header.getName(), header.getValue());
                }
                request.set("body", body(Buffers.toArray(exchange.request.getBody())));
            }
            ArrayNode offsets = detail.putArray("chunkOffsetsMs");
            exchange.chunkOffsetsNanos.forEach(nanos -> offsets.add(nanos / 1e6));
            ObjectNode response = detail.putObject("response");
            if ("BODY".equals(exchange.framing)) {
                ByteArrayOutputStream whole = new ByteArrayOutputStream((int) exchange.dataBytes);
                exchange.chunkData.forEach(whole::writeBytes);
                response.set("body", body(whole.toByteArray()));
            } else {
                ArrayNode chunks = response.putArray("chunks");
                exchange.chunkData.forEach(chunk -> chunks.add(body(chunk)));
            }
            response.put("truncated", exchange.truncated);
            fixturePath = exchange.fixturePath;
        }
        if (fixturePath != null) {
            detail.put("fixtureContent", fixtureContent(Path.of(fixturePath)));
        }
        return detail;
    }

    /** Told of every change (an exchange's summary, a miss) as {@code event\ndata} text, until the returned call. */
    public Runnable subscribe(Consumer<String> subscriber) {
        subscribers.add(subscriber);
        return () -> subscribers.remove(subscriber);
    }

    private void publish(String type, ObjectNode json) {
        String message = type + "\n" + json;
        subscribers.forEach(subscriber -> subscriber.accept(message));
    }

    private static ObjectNode summary(Exchange exchange) {
        ObjectNode summary = NODES.objectNode()
                .put("id", exchange.id)
                .put("time", exchange.startedAt.toString())
                .put("outcome", exchange.outcome)
                .put("chunks", exchange.chunkOffsetsNanos.size())
                .put("fixture", exchange.fixture);
        if (exchange.request != null) {
            summary.put("route", exchange.request.getRoute())
                    .put("testId", exchange.request.getTestId())
                    .put("endpoint", exchange.request.getEndpoint())
                    .put("model", modelOf(exchange.request));
        }
        if (exchange.status != null) {
            summary.put("status", exchange.status);
        }
        if (exchange.durationNanos != null) {
            summary.put("durationMs", exchange.durationNanos / 1e6);
        }
        if (exchange.reason != null) {
            summary.put("reason", exchange.reason);
        }
        if (exchange.fixturePath != null) {
            summary.put("fixturePath", exchange.fixturePath);
        }
        if (exchange.fixtureReason != null) {
            summary.put("fixtureReason", exchange.fixtureReason);
        }
        return summary;
    }

    private static String modelOf(RequestStarted request) {
        return dev.tapeline.fixture.FixtureRequest.modelOf(Buffers.toArray(request.getBody()));
    }

    /** JSON as JSON, anything else as its text. */
    private static JsonNode body(byte[] bytes) {
        if (bytes.length == 0) {
            return NODES.nullNode();
        }
        try {
            return PyJson.parse(bytes);
        } catch (PyJson.InvalidJsonException notJson) {
            return NODES.textNode(new String(bytes, StandardCharsets.UTF_8));
        }
    }

    private static String fixtureContent(Path file) {
        try {
            if (!Files.isRegularFile(file)) {
                return "(no longer there)";
            }
            if (Files.size(file) > FIXTURE_SHOWN) {
                return "(" + Files.size(file) + " bytes: too large to show)";
            }
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(cannot read it: " + e.getMessage() + ")";
        }
    }
}
