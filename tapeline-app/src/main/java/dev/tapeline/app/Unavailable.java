package dev.tapeline.app;

import java.time.Duration;

/**
 * Something a command needs could not be reached or read: Kafka, the schema registry, a file. Its
 * message is one line for a person, naming the thing, the option that set it and what to check;
 * the command line prints it without a stack trace and exits {@link #EXIT_CODE}. Bugs are never
 * this: they keep their stack trace.
 */
public final class Unavailable extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** The exit code of a command that could not go on for this. */
    public static final int EXIT_CODE = 3;

    public Unavailable(String message, Throwable cause) {
        super(message, cause);
    }

    /** Kafka did not answer in time. */
    public static Unavailable kafkaTimeout(String bootstrapServers, Duration waited, Throwable cause) {
        return new Unavailable(
                "cannot reach Kafka at " + bootstrapServers + " (--bootstrap-servers): no answer within "
                        + waited.toSeconds() + " s; check the address and port and that the brokers run (a secured"
                        + " cluster also needs --kafka-config security.protocol=... and its credentials)",
                cause);
    }

    /** Kafka answered with an error, or the address cannot be used at all. */
    public static Unavailable kafka(String bootstrapServers, Throwable cause) {
        return new Unavailable(
                "cannot use Kafka at " + bootstrapServers + " (--bootstrap-servers): " + messageOf(cause)
                        + "; check the address and the --kafka-config settings",
                cause);
    }

    /** The schema registry does not answer. */
    public static Unavailable registry(String url, Throwable cause) {
        return new Unavailable(
                "cannot reach the schema registry at " + url + " (--schema-registry-url): " + messageOf(cause)
                        + "; check the address and that the registry runs",
                cause);
    }

    /** A file named on the command line cannot be read. */
    public static Unavailable file(String what, java.nio.file.Path path, java.io.IOException cause) {
        String why = cause instanceof java.nio.file.NoSuchFileException
                ? "no such file"
                : cause instanceof java.nio.file.AccessDeniedException ? "permission denied" : messageOf(cause);
        return new Unavailable("cannot read " + what + " " + path + ": " + why, cause);
    }

    /** The innermost message that says something. */
    static String messageOf(Throwable error) {
        Throwable at = error;
        while (at.getCause() != null && at.getCause() != at) {
            at = at.getCause();
        }
        String message = at.getMessage();
        return message == null || message.isBlank() ? at.getClass().getSimpleName() : message;
    }
}
