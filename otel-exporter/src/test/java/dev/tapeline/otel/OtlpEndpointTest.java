package dev.tapeline.otel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tapeline.schema.Framing;
import dev.tapeline.schema.Outcome;
import dev.tapeline.schema.RecordedRequest;
import dev.tapeline.schema.RecordedResponse;
import dev.tapeline.schema.Recording;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class OtlpEndpointTest {

    private static Recording recording() {
        return Recording.newBuilder()
                .setFixtureKey("k")
                .setCompletionId("c-grpc")
                .setAgentId("agent")
                .setTestId("tests/t.py::test_grpc")
                .setStartedAtMs(Instant.ofEpochMilli(1_765_000_000_000L))
                .setOutcome(Outcome.COMPLETED)
                .setDurationNanos(7_000_000)
                .setRequest(RecordedRequest.newBuilder()
                        .setMethod("POST")
                        .setUrl("http://localhost:8000/v1/chat/completions")
                        .setEndpoint("/v1/chat/completions")
                        .setHeaders(List.of())
                        .setBody(ByteBuffer.wrap("{\"model\":\"m\",\"messages\":[]}".getBytes()))
                        .build())
                .setResponse(RecordedResponse.newBuilder()
                        .setStatus(200)
                        .setHeaders(List.of())
                        .setFraming(Framing.BODY)
                        .setChunks(List.of())
                        .build())
                .build();
    }

    @Test
    void givenAGrpcEndpoint_whenASpanIsExported_thenAnOtlpGrpcReceiverGetsItWithItsIdsAndHeaders() throws Exception {
        List<Span> received = new CopyOnWriteArrayList<>();
        List<String> tenants = new CopyOnWriteArrayList<>();
        Metadata.Key<String> tenant = Metadata.Key.of("x-tenant", Metadata.ASCII_STRING_MARSHALLER);
        TraceServiceGrpc.TraceServiceImplBase service = new TraceServiceGrpc.TraceServiceImplBase() {
            @Override
            public void export(ExportTraceServiceRequest request, StreamObserver<ExportTraceServiceResponse> response) {
                request.getResourceSpansList()
                        .forEach(r -> r.getScopeSpansList().forEach(s -> received.addAll(s.getSpansList())));
                response.onNext(ExportTraceServiceResponse.getDefaultInstance());
                response.onCompleted();
            }
        };
        ServerInterceptor headers = new ServerInterceptor() {
            @Override
            public <Q, A> ServerCall.Listener<Q> interceptCall(
                    ServerCall<Q, A> call, Metadata metadata, ServerCallHandler<Q, A> next) {
                tenants.add(metadata.get(tenant));
                return next.startCall(call, metadata);
            }
        };
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(ServerInterceptors.intercept(service, headers))
                .build()
                .start();
        try {
            OtlpEndpoint endpoint = new OtlpEndpoint(
                    "http://127.0.0.1:" + server.getPort(), OtlpEndpoint.GRPC, Map.of("x-tenant", "team-a"));
            SpanExporter exporter = endpoint.spanExporter();
            Recording recording = recording();
            CompletableResultCode result = exporter.export(List.of(GenAiSpans.span(
                            recording, ExchangeFacts.of(recording), null, false, Resource.getDefault())))
                    .join(30, TimeUnit.SECONDS);
            exporter.shutdown().join(10, TimeUnit.SECONDS);

            assertThat(result.isSuccess()).isTrue();
            assertThat(received).hasSize(1);
            assertThat(received.get(0).getName()).isEqualTo("chat m");
            assertThat(HexFormat.of().formatHex(received.get(0).getSpanId().toByteArray()))
                    .isEqualTo(GenAiSpans.spanId("c-grpc"));
            assertThat(HexFormat.of().formatHex(received.get(0).getTraceId().toByteArray()))
                    .isEqualTo(GenAiSpans.traceId("c-grpc"));
            assertThat(received.get(0).getStartTimeUnixNano()).isEqualTo(1_765_000_000_000_000_000L);
            assertThat(received.get(0).getEndTimeUnixNano()).isEqualTo(1_765_000_000_007_000_000L);
            assertThat(tenants).containsExactly("team-a");
        } finally {
            server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void givenAnEndpointThatIsNoUrlAndAnUnknownProtocol_whenMade_thenBothNamed() {
        assertThatThrownBy(() -> new OtlpEndpoint("localhost:4318", "thrift", Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("otlp-endpoint: localhost:4318 is not an http:// or https:// URL; otlp-protocol: thrift is"
                        + " neither http/protobuf nor grpc");
    }
}
