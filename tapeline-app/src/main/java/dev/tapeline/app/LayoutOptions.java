package dev.tapeline.app;

import dev.tapeline.fixture.FixtureLayout;
import dev.tapeline.fixture.FixtureProfile;
import dev.tapeline.fixture.HashRules;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** The fixture layout options every command that writes or reads fixtures shares. */
public final class LayoutOptions {

    @Option(
            names = "--profile",
            defaultValue = "CURRENT",
            description = "Fixture layout: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    FixtureProfile profile;

    @Option(
            names = "--shared-dir",
            description = "llama-stack's storage dir under --fixtures: exchanges without a test id go to its"
                    + " recordings/ (default: " + FixtureLayout.LLAMA_STACK_STORAGE_DIR + ", llama-stack's default;"
                    + " LEGACY: recordings/ at the root; --shared-dir= for the root).")
    String sharedDir;

    @Option(
            names = "--hash-rules",
            defaultValue = "CURRENT",
            description =
                    "Generation of llama-stack's request-hash rules that names new files: ${COMPLETION-CANDIDATES}"
                            + " (default: ${DEFAULT-VALUE}). Replay finds files named under any of them.")
    HashRules hashRules;

    @Option(
            names = "--chunk-timing",
            description = "Keep when each chunk of a stream arrived beside its fixture"
                    + " (<hash>.timing.json) and replay streams at that pace.")
    boolean chunkTiming;

    public FixtureLayout layout(CommandSpec spec) {
        try {
            return new FixtureLayout(
                    profile,
                    sharedDir != null ? sharedDir : FixtureLayout.defaultSharedDir(profile),
                    hashRules,
                    chunkTiming);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
    }
}
