package dev.tapeline.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Rewrites the generated sections of docs/benchmarks.md, between {@code <!-- bench:NAME -->} markers. */
final class Report {

    private Report() {}

    /** Replaces the section's content; the rest of the page is left as written. */
    static void replace(Path page, String name, String content) throws IOException {
        String begin = "<!-- bench:" + name + " -->";
        String end = "<!-- /bench:" + name + " -->";
        String text = Files.exists(page) ? Files.readString(page, StandardCharsets.UTF_8) : "";
        int from = text.indexOf(begin);
        int to = text.indexOf(end);
        String section = begin + "\n" + content.strip() + "\n" + end;
        if (from < 0 || to < from) {
            text = text + (text.isEmpty() || text.endsWith("\n") ? "" : "\n") + "\n" + section + "\n";
        } else {
            text = text.substring(0, from) + section + text.substring(to + end.length());
        }
        Files.writeString(page, text, StandardCharsets.UTF_8);
    }
}
