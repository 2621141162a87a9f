package dev.tapeline.app.batch;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** {@code --from}/{@code --until}: the range of a topic a batch command reads. */
public final class RangeOptions {

    @Option(
            names = "--from",
            description =
                    "Start (inclusive): an ISO-8601 time (2026-11-26T10:00:00Z or 2026-11-26),"
                            + " an offset in every partition (1200) or offsets per partition (0:1200,2:80). Default: the beginning.")
    String from;

    @Option(
            names = "--until",
            description = "End (exclusive), in the same forms as --from. Default: the end as it is"
                    + " when the command starts.")
    String until;

    public TopicRange.Bound start(CommandSpec spec) {
        return bound(from, spec);
    }

    public TopicRange.Bound end(CommandSpec spec) {
        return bound(until, spec);
    }

    private static TopicRange.Bound bound(String text, CommandSpec spec) {
        try {
            return text == null ? TopicRange.Bound.EDGE : TopicRange.Bound.parse(text);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
    }
}
