package dev.tapeline.app;

import dev.tapeline.settings.Setting;
import dev.tapeline.settings.SettingValues;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * Offers the settings a service declares as command-line options ({@code --<name>}, their
 * description and default from the declaration), and reads them back, every problem at once.
 */
public final class SettingOptions {

    private SettingOptions() {}

    public static void addTo(CommandSpec spec, List<? extends Setting<?>> settings) {
        for (Setting<?> setting : settings) {
            OptionSpec.Builder option = OptionSpec.builder(setting.option());
            if (setting.isFlag()) {
                option.arity("0").type(boolean.class).description(setting.description());
            } else {
                option.type(String.class)
                        .paramLabel("<" + setting.name() + ">")
                        .description(
                                setting.defaultText().isEmpty()
                                        ? setting.description()
                                        : setting.description() + " (default: " + setting.defaultText() + ")");
            }
            spec.addOption(option.build());
        }
    }

    /** The values given on the command line, the declared defaults for the rest. */
    public static SettingValues read(CommandSpec spec, List<? extends Setting<?>> settings) {
        ParseResult parsed = spec.commandLine().getParseResult();
        try {
            return SettingValues.read(
                    List.copyOf(settings),
                    setting -> !parsed.hasMatchedOption(setting.option())
                            ? null
                            : setting.isFlag() ? "true" : parsed.matchedOptionValue(setting.option(), (String) null));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
    }
}
