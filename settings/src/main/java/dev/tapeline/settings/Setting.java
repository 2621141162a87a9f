package dev.tapeline.settings;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * One setting of a service, declared once: its name (the option {@code --<name>}), default,
 * description, how its text is read and what values it accepts. The service's configuration
 * record checks its values with {@link #check}; the command line offers it with its default.
 *
 * @param name        kebab-case, as on the command line without {@code --}
 * @param type        the value's class
 * @param defaultValue used when the setting is not given
 * @param description one sentence for {@code --help}
 * @param parser      reads the value from its text; throws {@link IllegalArgumentException} saying why not
 * @param formatter   the text of a value, as {@link #parser} reads it back
 * @param rule        null for an acceptable value, else what is wrong with it
 */
public record Setting<T>(
        String name,
        Class<T> type,
        T defaultValue,
        String description,
        Function<String, T> parser,
        Function<T, String> formatter,
        Function<T, String> rule) {

    public Setting {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(parser, "parser");
        Objects.requireNonNull(formatter, "formatter");
        rule = rule == null ? value -> null : rule;
    }

    /** A duration ({@code 500ms}, {@code 90s}, {@code 10m}, {@code 2h} or ISO-8601) that must be positive. */
    public static Setting<Duration> positiveDuration(String name, Duration defaultValue, String description) {
        return new Setting<>(
                name,
                Duration.class,
                defaultValue,
                description,
                Durations::parse,
                Durations::format,
                value -> value.isNegative() || value.isZero()
                        ? "must be positive, got " + Durations.format(value)
                        : null);
    }

    /** A duration that may be zero, not negative. */
    public static Setting<Duration> duration(String name, Duration defaultValue, String description) {
        return new Setting<>(
                name,
                Duration.class,
                defaultValue,
                description,
                Durations::parse,
                Durations::format,
                value -> value.isNegative() ? "must be zero or positive, got " + Durations.format(value) : null);
    }

    /** A whole number within {@code [min, max]}. */
    public static Setting<Long> number(String name, long defaultValue, long min, long max, String description) {
        return new Setting<>(
                name,
                Long.class,
                defaultValue,
                description,
                text -> {
                    try {
                        return Long.parseLong(text.trim());
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("'" + text + "' is not a whole number");
                    }
                },
                String::valueOf,
                value -> value < min || value > max ? "must be " + min + ".." + max + ", got " + value : null);
    }

    /** A text; {@code ""} as the default means the service derives one. */
    public static Setting<String> text(String name, String defaultValue, String description) {
        return new Setting<>(name, String.class, defaultValue, description, String::trim, value -> value, null);
    }

    /** A switch: off unless given. */
    public static Setting<Boolean> flag(String name, String description) {
        return new Setting<>(name, Boolean.class, false, description, Boolean::parseBoolean, String::valueOf, null);
    }

    /** The same setting under another name (a family of options sharing one declaration, e.g. {@code upstream-}). */
    public Setting<T> withName(String newName) {
        return new Setting<>(newName, type, defaultValue, description, parser, formatter, rule);
    }

    /** The default's text, as {@link #parse} reads it. */
    public String defaultText() {
        return defaultValue == null ? "" : format(defaultValue);
    }

    /** The command-line option. */
    public String option() {
        return "--" + name;
    }

    public boolean isFlag() {
        return type == Boolean.class;
    }

    /** The value a text names. */
    public T parse(String text) {
        return parser.apply(text);
    }

    public String format(T value) {
        return formatter.apply(value);
    }

    /** Adds {@code <name>: <what is wrong>} to {@code problems} unless the value is acceptable (null counts as missing). */
    public void check(T value, List<String> problems) {
        if (value == null) {
            problems.add(name + ": required");
            return;
        }
        String problem = rule.apply(value);
        if (problem != null) {
            problems.add(name + ": " + problem);
        }
    }
}
