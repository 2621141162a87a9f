package dev.tapeline.agent.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseFramerTest {

    private final List<String> events = new ArrayList<>();
    private final SseFramer framer = new SseFramer(
            (name, data) -> events.add((name == null ? "" : name + "|") + new String(data, StandardCharsets.UTF_8)), 1024);

    private void feed(String text) {
        framer.feed(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void givenEventsSplitAcrossReads_whenFed_thenEachEventOnceWhole() {
        feed("data: {\"a\"");
        feed(":1}\n");
        feed("\ndata: {\"b\":2}\n\ndata: [DONE]\n\n");

        assertThat(events).containsExactly("{\"a\":1}", "{\"b\":2}", "[DONE]");
    }

    @Test
    void givenCrLfAndCrLineEnds_whenFed_thenSameEvents() {
        feed("data: x\r\n\r\ndata: y\r\r");
        feed("data: z\r");
        feed("\n\r\n");

        assertThat(events).containsExactly("x", "y", "z");
    }

    @Test
    void givenCommentsEventNamesAndMultiLineData_whenFed_thenCommentsSkippedNamesKeptDataJoined() {
        feed(": ping\n\nevent: message_start\ndata: {\"type\":\n: PROCESSING\ndata: 1}\nid: 7\nretry: 10\n\n");

        assertThat(events).containsExactly("message_start|{\"type\":\n1}");
    }

    @Test
    void givenStreamEndingWithoutBlankLine_whenFinished_thenLastEventDelivered() {
        feed("data: a\n\ndata: b");
        framer.finish();

        assertThat(events).containsExactly("a", "b");
    }

    @Test
    void givenDataWithoutSpaceAndEmptyData_whenFed_thenValuesExact() {
        feed("data:nospace\n\ndata:\n\ndata:  two spaces\n\n");

        assertThat(events).containsExactly("nospace", "", " two spaces");
    }

    @Test
    void givenOversizedEvent_whenFed_thenClearError() {
        assertThatThrownBy(() -> feed("data: " + "x".repeat(2000) + "\n"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("1024");
    }
}
