package dev.tapeline.app.inspector;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapeline.schema.CaptureEvent;
import dev.tapeline.schema.ChunkReceived;
import dev.tapeline.schema.ExchangeCompleted;
import dev.tapeline.schema.Framing;
import dev.tapeline.schema.Header;
import dev.tapeline.schema.RequestStarted;
import dev.tapeline.schema.ResponseStarted;
import dev.tapeline.sink.FixtureSink;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class InspectorTest {

    private final Inspector inspector = new Inspector(Clock.systemUTC());

    private void exchange(String id, String testId, int chunks) {
        Instant at = Instant.parse("2026-12-06T00:00:00Z");
        inspector.observe(new CaptureEvent(
                id,
                "agent",
                at,
                RequestStarted.newBuilder()
                        .setRoute("r")
                        .setMethod("POST")
                        .setPath("/v1/chat/completions")
                        .setEndpoint("/v1/chat/completions")
                        .setRecordedUrl("http://localhost:8000/v1/v1/chat/completions")
                        .setUpstreamUrl("http://upstream/v1/chat/completions")
                        // as published: the credential headers are already gone
                        .setHeaders(List.of(new Header("X-Test-Id", testId)))
                        .setBody(
                                ByteBuffer.wrap("{\"model\":\"m-1\",\"messages\":[]}".getBytes(StandardCharsets.UTF_8)))
                        .setTestId(testId)
                        .build()));
        inspector.observe(new CaptureEvent(
                id,
                "agent",
                at,
                ResponseStarted.newBuilder()
                        .setStatus(200)
                        .setHeaders(List.of())
                        .setFraming(Framing.SSE)
                        .setOffsetNanos(1_000_000)
                        .build()));
        for (int i = 0; i < chunks; i++) {
            inspector.observe(new CaptureEvent(
                    id,
                    "agent",
                    at,
                    new ChunkReceived(
                            (long) i,
                            (i + 1) * 10_000_000L,
                            null,
                            ByteBuffer.wrap(("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8)))));
        }
        inspector.observe(new CaptureEvent(
                id,
                "agent",
                at,
                ExchangeCompleted.newBuilder()
                        .setChunkCount(chunks)
                        .setBodyBytes(0)
                        .setDurationNanos(50_000_000)
                        .build()));
    }

    @Test
    void givenAStreamAndWhatTheSinkMadeOfIt_whenShown_thenItsSummaryDetailAndFixtureOutcome() {
        List<String> live = new ArrayList<>();
        inspector.subscribe(live::add);
        exchange("a", "tests/integration/x/test_x.py::test_a", 3);
        inspector.notWritten(new FixtureSink.NotWritten(
                "key-a",
                "a",
                dev.tapeline.sink.RecordingWriter.Skip.BROKE_OFF,
                "broke off: FAILED CLIENT_DISCONNECT",
                "FAILED exchanges are not written"));

        var summary = inspector.exchanges().get(0);
        assertThat(summary.path("testId").asText()).isEqualTo("tests/integration/x/test_x.py::test_a");
        assertThat(summary.path("model").asText()).isEqualTo("m-1");
        assertThat(summary.path("outcome").asText()).isEqualTo("COMPLETED");
        assertThat(summary.path("chunks").asInt()).isEqualTo(3);
        assertThat(summary.path("fixture").asText()).isEqualTo("not written");
        assertThat(summary.path("fixtureReason").asText()).isEqualTo("FAILED exchanges are not written");
        var detail = inspector.exchange("a");
        assertThat(detail.path("chunkOffsetsMs"))
                .extracting(offset -> offset.asDouble())
                .containsExactly(10.0, 20.0, 30.0);
        assertThat(detail.path("request").path("headers").fieldNames())
                .toIterable()
                .containsExactly("X-Test-Id");
        assertThat(detail.path("response").path("chunks").get(2).path("n").asInt())
                .isEqualTo(2);
        assertThat(live).as("each event and the sink's word, to the open pages").hasSize(7);
        assertThat(live.get(6)).startsWith("exchange\n{");
    }

    @Test
    void givenMoreExchangesThanKept_whenListed_thenTheNewestOnlyNewestFirst() {
        for (int i = 0; i < Inspector.KEPT + 20; i++) {
            exchange("e" + i, "t::" + i, 1);
        }

        var list = inspector.exchanges();
        assertThat(list).hasSize(Inspector.KEPT);
        assertThat(list.get(0).path("id").asText()).isEqualTo("e" + (Inspector.KEPT + 19));
        assertThat(inspector.exchange("e0")).as("forgotten").isNull();
    }
}
