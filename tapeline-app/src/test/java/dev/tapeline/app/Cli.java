package dev.tapeline.app;

import dev.tapeline.app.cli.TapelineCli;
import java.io.PrintWriter;
import java.io.StringWriter;

/** {@code tapeline ARGS} in this JVM, as {@link TapelineCli#main} runs it, with what it printed. */
public final class Cli {

    /** The exit code and what the command printed on stdout and stderr. */
    public record Result(int exitCode, String out, String err) {}

    private Cli() {}

    public static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = TapelineCli.commandLine()
                .setOut(new PrintWriter(out))
                .setErr(new PrintWriter(err))
                .execute(args);
        return new Result(code, out.toString(), err.toString());
    }
}
