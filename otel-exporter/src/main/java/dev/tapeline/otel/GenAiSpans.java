package dev.tapeline.otel;

import dev.tapeline.fixture.RequestHasher;
import dev.tapeline.schema.Recording;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.common.InstrumentationLibraryInfo;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One recorded exchange as the span OpenTelemetry's GenAI semantic conventions (v1.37.0) describe
 * for a client call: named {@code {gen_ai.operation.name} {gen_ai.request.model}}, kind CLIENT,
 * from the request's arrival to the answer's end, with the conventions' attributes and Tapeline's
 * own. Its trace and span ids are derived from the exchange's completion id, so a span sent twice
 * (after a rebalance or a restart) is the same span.
 */
final class GenAiSpans {

    /** The version of the conventions the attributes follow. */
    static final String SEMCONV_VERSION = "1.37.0";

    static final InstrumentationScopeInfo SCOPE = InstrumentationScopeInfo.builder("dev.tapeline.otel")
            .setSchemaUrl("https://opentelemetry.io/schemas/" + SEMCONV_VERSION)
            .build();

    private GenAiSpans() {}

    /** The trace id of an exchange: 32 hex digits of the sha256 of its completion id. */
    static String traceId(String completionId) {
        return RequestHasher.sha256Hex("trace " + completionId).substring(0, 32);
    }

    /** The span id of an exchange: 16 hex digits. */
    static String spanId(String completionId) {
        return RequestHasher.sha256Hex("span " + completionId).substring(0, 16);
    }

    /**
     * @param fixturePath    the fixture the exchange makes, or null
     * @param captureContent whether the messages and the answer's text go along (opt-in, as the conventions say)
     */
    static SpanData span(
            Recording recording, ExchangeFacts facts, String fixturePath, boolean captureContent, Resource resource) {
        long start = TimeUnit.MILLISECONDS.toNanos(recording.getStartedAtMs().toEpochMilli());
        AttributesBuilder attributes = Attributes.builder()
                .put("gen_ai.operation.name", facts.operation())
                .put("gen_ai.provider.name", facts.provider());
        putIfPresent(attributes, "gen_ai.request.model", facts.requestModel());
        facts.parameters().forEach((name, value) -> {
            if (name.equals("max_tokens") || name.equals("seed")) {
                attributes.put("gen_ai.request." + name, value.longValue());
            } else {
                attributes.put("gen_ai.request." + name, value);
            }
        });
        putIfPresent(attributes, "gen_ai.response.model", facts.responseModel());
        putIfPresent(attributes, "gen_ai.response.id", facts.responseId());
        if (!facts.finishReasons().isEmpty()) {
            attributes.put(AttributeKey.stringArrayKey("gen_ai.response.finish_reasons"), facts.finishReasons());
        }
        if (facts.inputTokens() >= 0) {
            attributes.put("gen_ai.usage.input_tokens", facts.inputTokens());
        }
        if (facts.outputTokens() >= 0) {
            attributes.put("gen_ai.usage.output_tokens", facts.outputTokens());
        }
        if (facts.status() > 0) {
            attributes.put("http.response.status_code", (long) facts.status());
        }
        putIfPresent(attributes, "error.type", facts.errorType());
        putIfPresent(attributes, "tapeline.test_id", recording.getTestId());
        putIfPresent(attributes, "tapeline.fixture.path", fixturePath);
        attributes.put("tapeline.agent_id", recording.getAgentId());
        attributes.put("tapeline.completion_id", recording.getCompletionId());
        attributes.put("tapeline.outcome", recording.getOutcome().name());
        attributes.put("tapeline.streamed", facts.streamed());
        if (captureContent) {
            if (facts.inputMessages() != null) {
                attributes.put("gen_ai.input.messages", facts.inputMessages().toString());
            }
            if (!facts.outputText().isEmpty()) {
                attributes.put("gen_ai.output.messages", outputMessages(facts));
            }
        }
        Attributes built = attributes.build();
        String name = facts.operation() + (facts.requestModel() == null ? "" : " " + facts.requestModel());
        StatusData status = facts.errorType() == null
                ? StatusData.unset()
                : StatusData.create(io.opentelemetry.api.trace.StatusCode.ERROR, facts.errorType());
        return new Span(
                name,
                SpanContext.create(
                        traceId(recording.getCompletionId()),
                        spanId(recording.getCompletionId()),
                        TraceFlags.getSampled(),
                        TraceState.getDefault()),
                status,
                start,
                start + recording.getDurationNanos(),
                built,
                resource);
    }

    /** The answer as the conventions' output messages: one assistant message with its text. */
    private static String outputMessages(ExchangeFacts facts) {
        com.fasterxml.jackson.databind.node.ArrayNode messages =
                com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.arrayNode();
        com.fasterxml.jackson.databind.node.ObjectNode message =
                messages.addObject().put("role", "assistant");
        message.putArray("parts").addObject().put("type", "text").put("content", facts.outputText());
        if (!facts.finishReasons().isEmpty()) {
            message.put("finish_reason", facts.finishReasons().get(0));
        }
        return messages.toString();
    }

    private static void putIfPresent(AttributesBuilder attributes, String key, String value) {
        if (value != null) {
            attributes.put(key, value);
        }
    }

    /** A finished span, as the OTLP exporters take it. */
    private record Span(
            String name,
            SpanContext context,
            StatusData status,
            long startNanos,
            long endNanos,
            Attributes attributes,
            Resource resource)
            implements SpanData {

        @Override
        public String getName() {
            return name;
        }

        @Override
        public SpanKind getKind() {
            return SpanKind.CLIENT;
        }

        @Override
        public SpanContext getSpanContext() {
            return context;
        }

        @Override
        public SpanContext getParentSpanContext() {
            return SpanContext.getInvalid();
        }

        @Override
        public StatusData getStatus() {
            return status;
        }

        @Override
        public long getStartEpochNanos() {
            return startNanos;
        }

        @Override
        public Attributes getAttributes() {
            return attributes;
        }

        @Override
        public List<EventData> getEvents() {
            return List.of();
        }

        @Override
        public List<LinkData> getLinks() {
            return List.of();
        }

        @Override
        public long getEndEpochNanos() {
            return endNanos;
        }

        @Override
        public boolean hasEnded() {
            return true;
        }

        @Override
        public int getTotalRecordedEvents() {
            return 0;
        }

        @Override
        public int getTotalRecordedLinks() {
            return 0;
        }

        @Override
        public int getTotalAttributeCount() {
            return attributes.size();
        }

        @Override
        @SuppressWarnings("deprecation") // the interface still asks for it
        public InstrumentationLibraryInfo getInstrumentationLibraryInfo() {
            return InstrumentationLibraryInfo.create(SCOPE.getName(), null);
        }

        @Override
        public InstrumentationScopeInfo getInstrumentationScopeInfo() {
            return SCOPE;
        }

        @Override
        public Resource getResource() {
            return resource;
        }
    }
}
