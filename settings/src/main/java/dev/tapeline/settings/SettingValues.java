package dev.tapeline.settings;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Values of declared settings: those given, the declared default for the rest. Immutable. */
public final class SettingValues {

    public static final SettingValues DEFAULTS = new SettingValues(Map.of());

    private final Map<Setting<?>, Object> values;

    private SettingValues(Map<Setting<?>, Object> values) {
        this.values = Map.copyOf(values);
    }

    /**
     * Reads each setting's text (absent: its default) and checks every value against its rule;
     * every problem is named in one {@link IllegalArgumentException}.
     *
     * @param texts by setting, the text given, or null where none was
     */
    public static SettingValues read(
            Collection<Setting<?>> settings, java.util.function.Function<Setting<?>, String> texts) {
        Map<Setting<?>, Object> values = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        for (Setting<?> setting : settings) {
            String text = texts.apply(setting);
            if (text == null) {
                continue;
            }
            try {
                values.put(setting, setting.parse(text));
            } catch (IllegalArgumentException e) {
                problems.add(setting.name() + ": " + e.getMessage());
            }
        }
        SettingValues read = new SettingValues(values);
        for (Setting<?> setting : settings) {
            if (values.containsKey(setting)) {
                check(setting, read, problems);
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        return read;
    }

    private static <T> void check(Setting<T> setting, SettingValues values, List<String> problems) {
        setting.check(values.get(setting), problems);
    }

    /** The value given for the setting, or its default. */
    @SuppressWarnings("unchecked")
    public <T> T get(Setting<T> setting) {
        Object value = values.get(setting);
        return value == null ? setting.defaultValue() : (T) value;
    }

    /** These values with one more. */
    public <T> SettingValues with(Setting<T> setting, T value) {
        Map<Setting<?>, Object> more = new LinkedHashMap<>(values);
        more.put(setting, value);
        return new SettingValues(more);
    }
}
