package dev.tapeline.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapeline.fixture.FixtureLayout;
import dev.tapeline.fixture.path.FixtureRepository;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

class LayoutOptionsTest {

    @Command(name = "layout")
    static final class Layout {
        @Mixin
        LayoutOptions options;

        @Spec
        CommandSpec spec;
    }

    private static FixtureLayout layout(String... args) {
        Layout command = new Layout();
        new CommandLine(command).parseArgs(args);
        return command.options.layout(command.spec);
    }

    @Test
    void givenNoSharedDir_whenTheLayoutIsMade_thenExchangesWithoutATestIdGoWhereLlamaStackLooks() {
        assertThat(layout().sharedDir()).isEqualTo("tests/integration/common/");
        assertThat(new FixtureRepository(layout()).recordingsDir(null))
                .isEqualTo("tests/integration/common/recordings/");
        assertThat(layout("--profile", "INTERMEDIATE").sharedDir()).isEqualTo("tests/integration/common/");
        assertThat(layout("--profile", "LEGACY").sharedDir())
                .as("the older generation's recordings/responses/ at the root")
                .isEmpty();
        assertThat(layout("--shared-dir=").sharedDir())
                .as("the root, asked for")
                .isEmpty();
        assertThat(layout("--shared-dir", "tests/integration/suites").sharedDir())
                .isEqualTo("tests/integration/suites/");
    }
}
