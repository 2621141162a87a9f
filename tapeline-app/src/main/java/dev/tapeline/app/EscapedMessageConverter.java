package dev.tapeline.app;

import ch.qos.logback.classic.pattern.MessageConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.tapeline.fixture.ControlChars;

/**
 * The log message with its control characters escaped ({@code %escapedMsg} in logback.xml): log
 * lines carry client-supplied text (test ids, paths, upstream messages), and none of it may split
 * a line, forge one or write a NUL byte into the log.
 */
public final class EscapedMessageConverter extends MessageConverter {

    @Override
    public String convert(ILoggingEvent event) {
        return ControlChars.escape(super.convert(event));
    }
}
