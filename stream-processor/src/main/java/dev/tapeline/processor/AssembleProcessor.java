package dev.tapeline.processor;

import dev.tapeline.fixture.FixtureRequest;
import dev.tapeline.fixture.HashRules;
import dev.tapeline.fixture.python.PyJson;
import dev.tapeline.fixture.shape.FixtureKeys;
import dev.tapeline.processor.internal.ChunkKeys;
import dev.tapeline.processor.internal.ResponseBodies;
import dev.tapeline.processor.state.ExchangeState;
import dev.tapeline.schema.Buffers;
import dev.tapeline.schema.CaptureEvent;
import dev.tapeline.schema.ChunkReceived;
import dev.tapeline.schema.DeadLetterHeaders;
import dev.tapeline.schema.ExchangeCompleted;
import dev.tapeline.schema.ExchangeFailed;
import dev.tapeline.schema.FailureReason;
import dev.tapeline.schema.Framing;
import dev.tapeline.schema.Outcome;
import dev.tapeline.schema.RecordedChunk;
import dev.tapeline.schema.RecordedRequest;
import dev.tapeline.schema.RecordedResponse;
import dev.tapeline.schema.Recording;
import dev.tapeline.schema.RequestStarted;
import dev.tapeline.schema.ResponseStarted;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.Value;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Folds the events of each exchange into its state and emits the Recording once complete. An
 * exchange the processor fails to assemble (a bug) is not skipped: its request event goes to the
 * dead-letter topic with the error in the headers Kafka Streams' own dead letters use, it is
 * logged at WARN and counted ({@code dead-letters-total}), and its events stay on the events topic
 * to be re-rendered once the bug is fixed.
 */
public final class AssembleProcessor implements Processor<String, CaptureEvent, String, Object> {

    private static final Logger LOG = LoggerFactory.getLogger(AssembleProcessor.class);

    private final ProcessorConfig config;
    private ProcessorContext<String, Object> context;
    private Sensor deadLetters;
    private final Map<Outcome, Sensor> emitted = new EnumMap<>(Outcome.class);
    /** Exchanges of this task not emitted yet, counted at each sweep ({@code open-exchanges-value}). */
    private Sensor open;

    private KeyValueStore<String, ExchangeState> exchanges;
    private KeyValueStore<Bytes, RecordedChunk> chunks;
    private KeyValueStore<String, RequestStarted> requests;

    public AssembleProcessor(ProcessorConfig config) {
        this.config = config;
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        this.context = context;
        this.deadLetters = context.metrics()
                .addRateTotalSensor(
                        "tapeline-processor", context.taskId().toString(), "dead-letters", Sensor.RecordingLevel.INFO);
        for (Outcome outcome : Outcome.values()) {
            // recordings-completed-total, recordings-failed-total, recordings-incomplete-total
            emitted.put(
                    outcome,
                    context.metrics()
                            .addRateTotalSensor(
                                    "tapeline-processor",
                                    context.taskId().toString(),
                                    "recordings-" + outcome.name().toLowerCase(Locale.ROOT),
                                    Sensor.RecordingLevel.INFO));
        }
        this.open = context.metrics()
                .addSensor("tapeline-processor-open-exchanges-" + context.taskId(), Sensor.RecordingLevel.INFO);
        open.add(
                new MetricName(
                        "open-exchanges-value",
                        "stream-tapeline-processor-metrics",
                        "Exchanges of the task not emitted yet, counted at the last sweep",
                        Map.of("task-id", context.taskId().toString())),
                new Value());
        this.exchanges = context.getStateStore(ProcessorConfig.EXCHANGE_STORE);
        this.chunks = context.getStateStore(ProcessorConfig.CHUNK_STORE);
        this.requests = context.getStateStore(ProcessorConfig.REQUEST_STORE);
        context.schedule(config.purgeInterval(), PunctuationType.WALL_CLOCK_TIME, this::sweep);
    }

    @Override
    public void process(Record<String, CaptureEvent> record) {
        CaptureEvent event = record.value();
        if (event == null) {
            return;
        }
        String id = event.getCompletionId();
        ExchangeState state = exchanges.get(id);
        if (state == null) {
            state = ExchangeState.newBuilder().setCompletionId(id).build();
        }
        if (state.getEmittedAtMs() >= 0) {
            LOG.debug("exchange {}: event after emission ignored (duplicate)", id);
            return;
        }
        state.setAgentId(event.getAgentId());
        state.setLastSeenMs(record.timestamp());
        Object payload = event.getPayload();
        if (payload instanceof RequestStarted request) {
            // the body stays in the request store, written once; the summary rewritten at every event keeps the rest
            requests.put(id, request);
            state.setRequest(RequestStarted.newBuilder(request)
                    .setBody(ByteBuffer.allocate(0))
                    .build());
            state.setRequestAtMs(event.getTimestampMs().toEpochMilli());
        } else if (payload instanceof ResponseStarted response) {
            state.setResponse(response);
        } else if (payload instanceof ChunkReceived chunk) {
            Bytes key = ChunkKeys.of(id, chunk.getSequence());
            if (chunks.get(key) == null) {
                state.setChunksReceived(state.getChunksReceived() + 1);
            }
            chunks.put(key, new RecordedChunk(chunk.getOffsetNanos(), chunk.getSseEvent(), chunk.getData()));
        } else if (payload instanceof ExchangeCompleted completed) {
            state.setOutcome(completed);
            state.setExpectedChunks(completed.getChunkCount());
        } else if (payload instanceof ExchangeFailed failed) {
            state.setOutcome(failed);
            state.setExpectedChunks(failed.getChunkCount());
        }
        if (state.getOutcome() != null
                && state.getRequest() != null
                && state.getChunksReceived() >= state.getExpectedChunks()) {
            emit(state, record.timestamp());
        } else {
            exchanges.put(id, state);
        }
    }

    private void emit(ExchangeState state, long timestamp) {
        String id = state.getCompletionId();
        List<RecordedChunk> ordered = takeChunks(id, state.getExpectedChunks());
        RequestStarted request = requests.get(id);
        if (request != null) {
            state.setRequest(request);
            requests.delete(id);
        }
        exchanges.put(
                id,
                ExchangeState.newBuilder()
                        .setCompletionId(id)
                        .setEmittedAtMs(timestamp)
                        .setLastSeenMs(timestamp)
                        .build());
        Recording recording;
        try {
            recording = withinLimit(assemble(state, ordered));
        } catch (RuntimeException bug) {
            deadLetter(state, timestamp, bug);
            return;
        }
        context.forward(new Record<>(recording.getFixtureKey(), recording, timestamp), RecordingTopology.SINK);
        emitted.get(recording.getOutcome()).record();
        LOG.debug("exchange {}: recording {} emitted with {} chunks", id, recording.getFixtureKey(), ordered.size());
    }

    /** The exchange's request event, as the agent published it, on the dead-letter topic with the error. */
    private void deadLetter(ExchangeState state, long timestamp, RuntimeException bug) {
        String id = state.getCompletionId();
        LOG.warn(
                "exchange {}: cannot be assembled into a recording; its request event went to the dead-letter topic"
                        + " and its events stay on the events topic",
                id,
                bug);
        deadLetters.record();
        // the exchange's events are many, on one partition: the origin is its topic
        RecordHeaders headers = new RecordHeaders();
        DeadLetterHeaders.add(headers, bug, config.eventsTopic(), -1, -1, "processor");
        CaptureEvent requestEvent = new CaptureEvent(
                id,
                state.getAgentId() == null ? "" : state.getAgentId(),
                Instant.ofEpochMilli(state.getRequestAtMs()),
                state.getRequest());
        context.forward(
                new Record<String, Object>(id, requestEvent, timestamp, headers), RecordingTopology.DEAD_LETTER_SINK);
    }

    @Override
    public void close() {
        context.metrics().removeSensor(deadLetters);
        emitted.values().forEach(context.metrics()::removeSensor);
        context.metrics().removeSensor(open);
    }

    private Recording assemble(ExchangeState state, List<RecordedChunk> ordered) {
        RequestStarted request = state.getRequest();
        ResponseStarted response = state.getResponse();
        ResponseBodies.Framed body = ResponseBodies.frame(
                response == null ? Framing.BODY : response.getFraming(),
                response == null ? List.of() : response.getHeaders(),
                ordered);
        Outcome outcome;
        String reason = body.problem();
        FailureReason failureReason = null;
        long duration;
        if (state.getOutcome() instanceof ExchangeFailed failed) {
            outcome = Outcome.FAILED;
            failureReason = failed.getReason();
            reason = failed.getReason() + ": " + failed.getMessage() + (reason == null ? "" : "; " + reason);
            duration = failed.getDurationNanos();
        } else if (state.getOutcome() == null) {
            outcome = Outcome.INCOMPLETE;
            reason = "no event for " + config.idleTimeout() + " (client gone, upstream stalled or agent died); "
                    + state.getChunksReceived() + " chunks received" + (reason == null ? "" : "; " + reason);
            duration = Math.max(0, state.getLastSeenMs() - state.getRequestAtMs()) * 1_000_000L;
        } else {
            outcome = Outcome.COMPLETED;
            duration = ((ExchangeCompleted) state.getOutcome()).getDurationNanos();
        }
        RecordedRequest recordedRequest = RecordedRequest.newBuilder()
                .setMethod(request.getMethod())
                .setUrl(request.getRecordedUrl())
                .setEndpoint(request.getEndpoint())
                .setHeaders(request.getHeaders())
                .setBody(request.getBody())
                .setClientSdkVersion(request.getClientSdkVersion())
                .setServerVersion(request.getServerVersion())
                .setQuery(FixtureRequest.queryOf(request.getPath()))
                .build();
        RecordedResponse recordedResponse = RecordedResponse.newBuilder()
                .setStatus(response == null ? 0 : response.getStatus())
                .setHeaders(response == null ? List.of() : response.getHeaders())
                .setFraming(body.framing())
                .setChunks(body.chunks())
                .build();
        return Recording.newBuilder()
                .setFixtureKey(fixtureKey(state.getCompletionId(), request))
                .setCompletionId(state.getCompletionId())
                .setAgentId(state.getAgentId() == null ? "" : state.getAgentId())
                .setTestId(request.getTestId())
                .setStartedAtMs(Instant.ofEpochMilli(state.getRequestAtMs()))
                .setOutcome(outcome)
                .setOutcomeReason(reason)
                .setFailureReason(failureReason)
                .setDurationNanos(duration)
                .setRequest(recordedRequest)
                .setResponse(recordedResponse)
                .build();
    }

    /**
     * The fixture key (see {@link FixtureKeys}); a request whose body is not JSON has no request
     * hash and is keyed by its completion id. Any other failure is a bug, and is thrown.
     */
    private String fixtureKey(String completionId, RequestStarted request) {
        try {
            return FixtureKeys.of(
                    new FixtureRequest(
                            request.getMethod(),
                            request.getRecordedUrl(),
                            request.getEndpoint(),
                            Buffers.toArray(request.getBody()),
                            request.getTestId(),
                            FixtureRequest.queryOf(request.getPath())),
                    config.keyProfile(),
                    HashRules.CURRENT);
        } catch (PyJson.InvalidJsonException notJson) {
            LOG.debug(
                    "exchange {}: request body is not JSON ({}); keyed by completion id",
                    completionId,
                    notJson.getMessage());
            return "unhashable-" + completionId;
        }
    }

    /**
     * A recording the recordings topic cannot hold becomes a FAILED stub (no bodies) that says
     * why, rather than a producer error that would stop the processor.
     */
    private Recording withinLimit(Recording recording) {
        long size = recording.getRequest().getBody().remaining();
        for (RecordedChunk chunk : recording.getResponse().getChunks()) {
            size += chunk.getData().remaining() + 32;
        }
        if (size <= config.maxRecordingBytes()) {
            return recording;
        }
        LOG.warn(
                "exchange {}: recording of {} bytes exceeds the limit of {} bytes; emitted as FAILED without bodies",
                recording.getCompletionId(),
                size,
                config.maxRecordingBytes());
        Recording stub = Recording.newBuilder(recording).build();
        stub.setOutcome(Outcome.FAILED);
        stub.setFailureReason(null);
        stub.setOutcomeReason("recording of " + size + " bytes exceeds the recordings topic's limit of "
                + config.maxRecordingBytes() + " bytes");
        stub.getRequest().setBody(ByteBuffer.allocate(0));
        stub.getResponse().setChunks(List.of());
        return stub;
    }

    /** Removes every chunk of an exchange; returns those below {@code expected}, in sequence order. */
    private List<RecordedChunk> takeChunks(String id, long expected) {
        int capacity = (int) Math.max(0, Math.min(expected, 100_000));
        List<RecordedChunk> ordered = new ArrayList<>(capacity);
        List<Bytes> taken = new ArrayList<>(capacity);
        // read the whole range first, delete after: a delete inside the scan writes to the store's cache,
        // whose evictions move entries not yet read into RocksDB, behind the scan's snapshot
        try (KeyValueIterator<Bytes, RecordedChunk> range =
                chunks.range(ChunkKeys.of(id, 0), ChunkKeys.of(id, Long.MAX_VALUE))) {
            while (range.hasNext()) {
                KeyValue<Bytes, RecordedChunk> next = range.next();
                if (ChunkKeys.sequenceOf(next.key) < expected) {
                    ordered.add(next.value);
                }
                taken.add(next.key);
            }
        }
        taken.forEach(chunks::delete);
        return ordered;
    }

    /**
     * One pass over the open exchanges (wall clock): emitted ones older than the retention are
     * forgotten; those without an event for the idle timeout are emitted as INCOMPLETE, or
     * dropped with their chunks when their request never arrived.
     */
    private void sweep(long now) {
        long expiredBefore = now - config.emittedRetention().toMillis();
        long idleBefore = now - config.idleTimeout().toMillis();
        List<String> expired = new ArrayList<>();
        List<ExchangeState> idle = new ArrayList<>();
        long openNow = 0;
        try (KeyValueIterator<String, ExchangeState> all = exchanges.all()) {
            while (all.hasNext()) {
                ExchangeState state = all.next().value;
                if (state.getEmittedAtMs() < 0) {
                    openNow++;
                }
                if (state.getEmittedAtMs() >= 0 && state.getEmittedAtMs() < expiredBefore) {
                    expired.add(state.getCompletionId());
                } else if (state.getEmittedAtMs() < 0 && state.getLastSeenMs() < idleBefore) {
                    idle.add(state);
                }
            }
        }
        expired.forEach(exchanges::delete);
        open.record(openNow - idle.size());
        for (ExchangeState state : idle) {
            if (state.getRequest() == null) {
                LOG.warn(
                        "exchange {}: idle for {} and its request never arrived; dropped",
                        state.getCompletionId(),
                        config.idleTimeout());
                exchanges.delete(state.getCompletionId());
                takeChunks(state.getCompletionId(), 0);
                continue;
            }
            state.setExpectedChunks(Long.MAX_VALUE);
            emit(state, now);
        }
    }
}
