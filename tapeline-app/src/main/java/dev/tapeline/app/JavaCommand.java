package dev.tapeline.app;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A command line that starts another JVM like this one: the same {@code java}, the same class path. */
public final class JavaCommand {

    private JavaCommand() {}

    /** {@code java <jvmOptions> -cp <this class path> <mainClass> <args>}. */
    public static List<String> of(List<String> jvmOptions, String mainClass, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(args);
        return command;
    }
}
