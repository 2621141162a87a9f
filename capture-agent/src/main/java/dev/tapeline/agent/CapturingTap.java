package dev.tapeline.agent;

import dev.tapeline.fixture.NdjsonFramer;
import dev.tapeline.fixture.SseFramer;
import dev.tapeline.schema.CaptureEvent;
import dev.tapeline.schema.ChunkReceived;
import dev.tapeline.schema.ExchangeCompleted;
import dev.tapeline.schema.ExchangeFailed;
import dev.tapeline.schema.FailureReason;
import dev.tapeline.schema.Framing;
import dev.tapeline.schema.Framings;
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

    public CapturingTap(String agentId, EventPublisher publisher, Clock clock, Set<String> redactedHeaders,
            int maxChunkBytes) {
        this.agentId = agentId;
        this.publisher = publisher;
        this.clock = clock;
        this.redactedHeaders = redactedHeaders;
        this.maxChunkBytes = maxChunkBytes;
    }

    @Override
    public ExchangeObserver open(ExchangeRequest request) {
        publish(request.completionId(), RequestStarted.newBuilder()
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
        return new Observer(request);
    }

    private void publish(String completionId, Object payload) {
        publisher.publish(CaptureEvent.newBuilder()
                .setCompletionId(completionId)
                .setAgentId(agentId)
                .setTimestampMs(clock.instant())
                .setPayload(payload)
                .build());
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

        Observer(ExchangeRequest request) {
            this.request = request;
        }

        private long offset() {
            return System.nanoTime() - request.startNanos();
        }

        @Override
        public void onResponseStarted(int status, List<Map.Entry<String, String>> responseHeaders) {
            framing = Framings.forCapture(header(responseHeaders, "content-type"),
                    header(responseHeaders, "content-encoding"));
            if (framing == Framing.SSE) {
                sse = new SseFramer(this::chunk, maxChunkBytes);
            } else if (framing == Framing.NDJSON) {
                ndjson = new NdjsonFramer(line -> chunk(null, line), maxChunkBytes);
            }
            publish(request.completionId(), ResponseStarted.newBuilder()
                    .setStatus(status)
                    .setHeaders(headers(responseHeaders))
                    .setFraming(framing)
                    .setOffsetNanos(offset())
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
            publish(request.completionId(), ChunkReceived.newBuilder()
                    .setSequence(sequence++)
                    .setOffsetNanos(offset())
                    .setSseEvent(eventName)
                    .setData(ByteBuffer.wrap(data))
                    .build());
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
            publish(request.completionId(), ExchangeCompleted.newBuilder()
                    .setChunkCount(sequence)
                    .setBodyBytes(bodyBytes)
                    .setDurationNanos(offset())
                    .build());
        }

        @Override
        public void onFailed(FailureReason reason, String message) {
            if (ended) {
                return;
            }
            ended = true;
            publish(request.completionId(), ExchangeFailed.newBuilder()
                    .setChunkCount(sequence)
                    .setReason(reason)
                    .setMessage(message == null ? "" : message)
                    .setDurationNanos(offset())
                    .build());
        }
    }
}
