package dev.tapeline.agent.capture;

import dev.tapeline.agent.proxy.ExchangeObserver;
import dev.tapeline.agent.proxy.ExchangeRequest;
import dev.tapeline.agent.proxy.ExchangeTap;
import dev.tapeline.fixture.wire.Framings;
import dev.tapeline.fixture.wire.NdjsonFramer;
import dev.tapeline.fixture.wire.SseFramer;
import dev.tapeline.schema.CaptureEvent;
import dev.tapeline.schema.ChunkReceived;
import dev.tapeline.schema.ExchangeCompleted;
import dev.tapeline.schema.ExchangeFailed;
import dev.tapeline.schema.FailureReason;
import dev.tapeline.schema.Framing;
import dev.tapeline.schema.Header;
import dev.tapeline.schema.RequestStarted;
import dev.tapeline.schema.ResponseStarted;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns each observed exchange into capture events: request started, response started, one
 * chunk per SSE event / NDJSON line / body piece, and the outcome. Holds per exchange only the
 * unfinished SSE event or line. A compressed response is captured as raw body pieces; the
 * processor decodes it.
 */
public final class CapturingTap implements ExchangeTap {

    private static final Logger LOG = LoggerFactory.getLogger(CapturingTap.class);

    private final String agentId;
    private final EventPublisher publisher;
    private final Clock clock;
    private final Set<String> redactedHeaders;
    private final int maxChunkBytes;

    public CapturingTap(
            String agentId, EventPublisher publisher, Clock clock, Set<String> redactedHeaders, int maxChunkBytes) {
        this.agentId = agentId;
        this.publisher = publisher;
        this.clock = clock;
        this.redactedHeaders = redactedHeaders;
        this.maxChunkBytes = maxChunkBytes;
    }

    @Override
    public ExchangeObserver open(ExchangeRequest request) {
        // when the request arrived; every later event is timed from it by the monotonic clock
        java.time.Instant start = clock.instant().minusNanos(Math.max(0, System.nanoTime() - request.startNanos()));
        publish(
                request.completionId(),
                start,
                RequestStarted.newBuilder()
                        .setRoute(request.route().name())
                        .setMethod(request.method())
                        .setPath(request.path())
                        .setEndpoint(request.endpoint())
                        .setRecordedUrl(request.recordedUrl())
                        .setUpstreamUrl(request.upstreamUrl())
                        .setHeaders(headers(request.headers()))
                        .setBody(ByteBuffer.wrap(request.body()))
                        .setTestId(request.testId())
                        .setClientSdkVersion(request.clientSdkVersion())
                        .setServerVersion(request.serverVersion())
                        .build());
        return new Observer(request, start);
    }

    private void publish(String completionId, java.time.Instant timestamp, Object payload) {
        // the constructor, not a builder: once per chunk, and Avro's builders copy every default
        publisher.publish(new CaptureEvent(completionId, agentId, timestamp, payload));
    }

    private List<Header> headers(List<Map.Entry<String, String>> headers) {
        return headers.stream()
                .filter(h -> !redactedHeaders.contains(h.getKey().toLowerCase(Locale.ROOT)))
                .map(h -> new Header(h.getKey(), h.getValue()))
                .toList();
    }

    private static String header(List<Map.Entry<String, String>> headers, String name) {
        for (Map.Entry<String, String> header : headers) {
            if (header.getKey().equalsIgnoreCase(name)) {
                return header.getValue();
            }
        }
        return null;
    }

    private final class Observer implements ExchangeObserver {
        private final ExchangeRequest request;
        private Framing framing = Framing.BODY;
        private SseFramer sse;
        private NdjsonFramer ndjson;
        private long sequence;
        private long bodyBytes;
        private boolean ended;
        private final java.time.Instant start;

        Observer(ExchangeRequest request, java.time.Instant start) {
            this.request = request;
            this.start = start;
        }

        private long offset() {
            return System.nanoTime() - request.startNanos();
        }

        /** The event's time, from the clock read at the request and the offset: one clock read per chunk. */
        private void publish(long offsetNanos, Object payload) {
            CapturingTap.this.publish(request.completionId(), start.plusNanos(offsetNanos), payload);
        }

        @Override
        public void onResponseStarted(int status, List<Map.Entry<String, String>> responseHeaders) {
            framing = Framings.forCapture(
                    header(responseHeaders, "content-type"), header(responseHeaders, "content-encoding"));
            if (framing == Framing.SSE) {
                sse = new SseFramer(this::chunk, maxChunkBytes);
            } else if (framing == Framing.NDJSON) {
                ndjson = new NdjsonFramer(line -> chunk(null, line), maxChunkBytes);
            }
            long offset = offset();
            publish(
                    offset,
                    ResponseStarted.newBuilder()
                            .setStatus(status)
                            .setHeaders(headers(responseHeaders))
                            .setFraming(framing)
                            .setOffsetNanos(offset)
                            .build());
        }

        @Override
        public void onResponseBytes(byte[] bytes) {
            if (ended) {
                return;
            }
            bodyBytes += bytes.length;
            try {
                switch (framing) {
                    case SSE -> sse.feed(bytes);
                    case NDJSON -> ndjson.feed(bytes);
                    default -> chunk(null, bytes);
                }
            } catch (IllegalStateException e) {
                // the client still gets every byte; the capture of this exchange ends here
                LOG.warn("exchange {}: capture stopped: {}", request.completionId(), e.getMessage());
                onFailed(FailureReason.UNKNOWN, "capture stopped: " + e.getMessage());
            }
        }

        private void chunk(String eventName, byte[] data) {
            if (LOG.isTraceEnabled()) {
                LOG.trace("exchange {} chunk {} ({} bytes)", request.completionId(), sequence, data.length);
            }
            long offset = offset();
            publish(offset, new ChunkReceived(sequence++, offset, eventName, ByteBuffer.wrap(data)));
        }

        private void finishFraming() {
            if (sse != null) {
                sse.finish();
            }
            if (ndjson != null) {
                ndjson.finish();
            }
        }

        @Override
        public void onCompleted() {
            if (ended) {
                return;
            }
            try {
                finishFraming();
            } catch (IllegalStateException e) {
                onFailed(FailureReason.UNKNOWN, "capture stopped: " + e.getMessage());
                return;
            }
            ended = true;
            long offset = offset();
            publish(
                    offset,
                    ExchangeCompleted.newBuilder()
                            .setChunkCount(sequence)
                            .setBodyBytes(bodyBytes)
                            .setDurationNanos(offset)
                            .build());
        }

        @Override
        public void onFailed(FailureReason reason, String message) {
            if (ended) {
                return;
            }
            ended = true;
            long offset = offset();
            publish(
                    offset,
                    ExchangeFailed.newBuilder()
                            .setChunkCount(sequence)
                            .setReason(reason)
                            .setMessage(message == null ? "" : message)
                            .setDurationNanos(offset)
                            .build());
        }
    }
}
