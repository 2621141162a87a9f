package dev.tapeline.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tapeline.agent.AgentMode;
import dev.tapeline.agent.Route;
import dev.tapeline.fixture.path.TestIds;
import dev.tapeline.otel.OtelExporter;
import dev.tapeline.otel.OtlpEndpoint;
import dev.tapeline.schema.Recording;
import dev.tapeline.schema.registry.RegistryConfig;
import dev.tapeline.schema.registry.RestSchemaRegistryClient;
import dev.tapeline.schema.serde.ConfluentAvroSerde;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.trace.v1.Span;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The captured traffic in an observability backend: every exchange (chat streamed and plain,
 * the Responses API streamed, one that failed) becomes one GenAI span at an OTLP receiver reached
 * over the network and decoded with OpenTelemetry's own protobuf classes, with the conventions'
 * attributes; the receiver goes away for 30 s mid-traffic (readiness says so, nothing is lost) and
 * comes back; no span arrives twice, and the GenAI metrics count what the spans say.
 */
class OtelExporterIT {

    private static final String TEST = "tests/integration/otel/test_export.py::";
    private static final Duration OUTAGE = Duration.ofSeconds(30);

    @TempDir
    java.nio.file.Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    private void call(TestStack stack, String test, String endpoint, String body, int status) throws Exception {
        HttpResponse<String> answer = http.send(
                HttpRequest.newBuilder(URI.create(stack.agentUrl() + endpoint))
                        .header("content-type", "application/json")
                        .header("X-LlamaStack-Provider-Data", TestIds.providerDataHeader(TEST + test))
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).isEqualTo(status);
    }

    private static Map<String, Object> attributes(Span span) {
        Map<String, Object> attributes = new HashMap<>();
        for (KeyValue kv : span.getAttributesList()) {
            var value = kv.getValue();
            attributes.put(
                    kv.getKey(),
                    switch (value.getValueCase()) {
                        case STRING_VALUE -> value.getStringValue();
                        case INT_VALUE -> value.getIntValue();
                        case DOUBLE_VALUE -> value.getDoubleValue();
                        case BOOL_VALUE -> value.getBoolValue();
                        case ARRAY_VALUE ->
                            value.getArrayValue().getValuesList().stream()
                                    .map(v -> v.getStringValue())
                                    .toList();
                        default -> value.toString();
                    });
        }
        return attributes;
    }

    private static Span byTest(List<Span> spans, String test) {
        return spans.stream()
                .filter(s -> (TEST + test).equals(attributes(s).get("tapeline.test_id")))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no span of " + test));
    }

    private static long count(Metric metric) {
        return metric.getHistogram().getDataPointsList().stream()
                .mapToLong(HistogramDataPoint::getCount)
                .sum();
    }

    @Test
    void givenTrafficThroughAReceiverOutage_whenExported_thenOneSpanPerExchangeAndMetricsAgree() throws Exception {
        String chat = "{\"model\":\"gpt-4.1-mini\",\"temperature\":0.2,\"max_tokens\":64,\"messages\":[{\"role\":"
                + "\"user\",\"content\":\"Hi\"}]";
        try (ProviderUpstream upstream = ProviderUpstream.start();
                OtlpReceiver receiver = OtlpReceiver.start();
                TestStack stack = new TestStack(
                        dir,
                        List.of(new Route("openai", "/", URI.create(upstream.url()), "https://api.openai.com/v1")),
                        AgentMode.RECORD)) {
            Map<String, Object> config = new HashMap<>();
            config.put("bootstrap.servers", stack.stack.bootstrapServers());
            config.put(ConsumerConfig.GROUP_ID_CONFIG, "otel-it");
            config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            OtlpEndpoint endpoint = new OtlpEndpoint(receiver.url(), OtlpEndpoint.HTTP, Map.of("x-tenant", "it"));
            try (OtelExporter exporter = new OtelExporter(
                    new KafkaConsumer<>(
                            config,
                            new StringDeserializer(),
                            ConfluentAvroSerde.<Recording>forValues(
                                    Recording.getClassSchema(),
                                    new RestSchemaRegistryClient(RegistryConfig.of(stack.stack.registryUrl())))),
                    Topics.RECORDINGS,
                    endpoint.spanExporter(),
                    endpoint.metricExporter(),
                    Duration.ofSeconds(1),
                    true,
                    new SimpleMeterRegistry(),
                    Clock.systemUTC())) {
                Thread thread = new Thread(exporter, "otel-it");
                thread.start();

                call(stack, "test_plain", "/v1/chat/completions", chat + "}", 200);
                call(
                        stack,
                        "test_stream",
                        "/v1/chat/completions",
                        chat + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}",
                        200);
                await().atMost(Duration.ofSeconds(60)).until(() -> receiver.spans.size() >= 2);

                receiver.stop();
                call(
                        stack,
                        "test_responses_stream",
                        "/v1/responses",
                        "{\"model\":\"gpt-4.1-mini\",\"input\":\"Hi\"," + "\"stream\":true}",
                        200);
                call(stack, "test_failed", "/v1/no/such/endpoint", "{\"model\":\"gpt-4.1-mini\"}", 404);
                await().atMost(Duration.ofSeconds(60)).until(() -> exporter.endpointProblem() != null);
                assertThat(exporter.endpointProblem()).startsWith("OTLP endpoint not taking spans: ");
                // the receiver stays away this long, the traffic captured meanwhile waiting on the topic
                await().pollDelay(OUTAGE).atMost(OUTAGE.plusSeconds(5)).until(() -> true);
                assertThat(receiver.spans).hasSize(2);
                receiver.listen();

                await().atMost(Duration.ofSeconds(90)).until(() -> receiver.spans.size() >= 4);
                await().atMost(Duration.ofSeconds(30)).until(() -> exporter.endpointProblem() == null);
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> receiver.metrics.containsKey("gen_ai.client.operation.duration")
                                && count(receiver.metrics.get("gen_ai.client.operation.duration")) == 4);
            }
            List<Span> spans = receiver.spans;
            assertThat(spans.stream()
                            .map(s -> HexFormat.of().formatHex(s.getSpanId().toByteArray())))
                    .as("no span twice")
                    .doesNotHaveDuplicates()
                    .hasSize(4);

            Span plain = byTest(spans, "test_plain");
            assertThat(plain.getName()).isEqualTo("chat gpt-4.1-mini");
            assertThat(plain.getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_CLIENT);
            assertThat(plain.getEndTimeUnixNano()).isGreaterThan(plain.getStartTimeUnixNano());
            Map<String, Object> a = attributes(plain);
            assertThat(a)
                    .containsEntry("gen_ai.operation.name", "chat")
                    .containsEntry("gen_ai.provider.name", "openai")
                    .containsEntry("gen_ai.request.model", "gpt-4.1-mini")
                    .containsEntry("gen_ai.request.temperature", 0.2)
                    .containsEntry("gen_ai.request.max_tokens", 64L)
                    .containsEntry("gen_ai.response.model", ProviderUpstream.MODEL)
                    .containsEntry("gen_ai.response.id", "chatcmpl-B9x")
                    .containsEntry("gen_ai.response.finish_reasons", List.of("stop"))
                    .containsEntry("gen_ai.usage.input_tokens", 14L)
                    .containsEntry("gen_ai.usage.output_tokens", 4L)
                    .containsEntry("http.response.status_code", 200L)
                    .containsEntry("tapeline.outcome", "COMPLETED")
                    .containsEntry("gen_ai.input.messages", "[{\"role\":\"user\",\"content\":\"Hi\"}]")
                    .containsKey("tapeline.fixture.path")
                    .doesNotContainKey("error.type");
            assertThat((String) a.get("gen_ai.output.messages")).contains("\"content\":\"Hello there!\"");

            Map<String, Object> stream = attributes(byTest(spans, "test_stream"));
            assertThat(stream)
                    .containsEntry("gen_ai.response.id", "chatcmpl-B9y")
                    .containsEntry("gen_ai.usage.output_tokens", 4L)
                    .containsEntry("tapeline.streamed", true);

            Map<String, Object> responses = attributes(byTest(spans, "test_responses_stream"));
            assertThat(responses)
                    .containsEntry("gen_ai.operation.name", "chat")
                    .containsEntry("gen_ai.response.id", "resp_68a1")
                    .containsEntry("gen_ai.response.model", ProviderUpstream.MODEL)
                    .containsEntry("gen_ai.response.finish_reasons", List.of("completed"))
                    .containsEntry("gen_ai.usage.input_tokens", 14L);
            assertThat((String) responses.get("gen_ai.output.messages")).contains("\"content\":\"Hello there!\"");

            Span failed = byTest(spans, "test_failed");
            assertThat(attributes(failed))
                    .containsEntry("error.type", "404")
                    .containsEntry("http.response.status_code", 404L);
            assertThat(failed.getStatus().getCode())
                    .isEqualTo(io.opentelemetry.proto.trace.v1.Status.StatusCode.STATUS_CODE_ERROR);

            Map<String, Long> tokens =
                    receiver.metrics.get("gen_ai.client.token.usage").getHistogram().getDataPointsList().stream()
                            .collect(Collectors.groupingBy(
                                    p -> p.getAttributesList().stream()
                                            .filter(kv -> kv.getKey().equals("gen_ai.token.type"))
                                            .findFirst()
                                            .orElseThrow()
                                            .getValue()
                                            .getStringValue(),
                                    Collectors.summingLong(HistogramDataPoint::getCount)));
            assertThat(tokens)
                    .as("one token count per exchange that reported usage, as on its span")
                    .containsEntry("input", 3L)
                    .containsEntry("output", 3L);
            assertThat(count(receiver.metrics.get("gen_ai.client.operation.time_to_first_chunk")))
                    .as("the two streams")
                    .isEqualTo(2);
        }
    }

    @Test
    void givenRunWithAnOtlpEndpoint_whenTrafficFlows_thenTheExporterComponentSendsItsSpanAndIsReady() throws Exception {
        try (ProviderUpstream upstream = ProviderUpstream.start();
                OtlpReceiver receiver = OtlpReceiver.start()) {
            Stack.Settings settings = Stack.Settings.allInOne(
                            dir.resolve("data"),
                            List.of(new Route("openai", "/", URI.create(upstream.url()), "https://api.openai.com/v1")),
                            dir.resolve("fixtures"),
                            dev.tapeline.fixture.FixtureLayout.current(),
                            AgentMode.RECORD)
                    .withComponents(java.util.EnumSet.allOf(PipelineConfig.Component.class))
                    .withSettings(dev.tapeline.settings.SettingValues.DEFAULTS.with(
                            dev.tapeline.otel.OtelSettings.OTLP_ENDPOINT, receiver.url()));
            try (Stack stack = Stack.start(settings, written -> {})) {
                HttpResponse<String> answer = http.send(
                        HttpRequest.newBuilder(
                                        URI.create("http://127.0.0.1:" + stack.agentPort() + "/v1/chat/completions"))
                                .header("content-type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(
                                        "{\"model\":\"gpt-4.1-mini\",\"messages\":[]}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(answer.statusCode()).isEqualTo(200);
                await().atMost(Duration.ofSeconds(90)).until(() -> receiver.spans.size() == 1);
                assertThat(stack.pipeline().readiness().checks()).containsEntry("exporter", "UP");
                assertThat(attributes(receiver.spans.get(0)))
                        .containsEntry("gen_ai.response.id", "chatcmpl-B9x")
                        .doesNotContainKey("gen_ai.input.messages");
            }
        }
    }
}
