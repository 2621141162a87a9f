package dev.tapeline.agent;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;

import dev.tapeline.schema.testing.Architecture;
import org.junit.jupiter.api.Test;

/**
 * The agent's layering: its settings and rules (this package: config, routes, modes, what is a
 * secret) at the bottom; serving and relaying ({@code proxy}) on them, with its tap points;
 * capture and replay ({@code capture}, {@code replay}) as what plugs into those tap points, never
 * into each other.
 */
class AgentArchitectureTest {

    @Test
    void givenTheModule_thenNoPackageImportsInACircle() {
        Architecture.assertNoPackageCycles("dev.tapeline.agent");
    }

    @Test
    void givenTheModule_thenProxyIsBelowCaptureAndReplayWhichNeverUseEachOther() {
        layeredArchitecture()
                .consideringOnlyDependenciesInLayers()
                .layer("agent")
                .definedBy("dev.tapeline.agent")
                .layer("proxy")
                .definedBy("dev.tapeline.agent.proxy..")
                .layer("capture")
                .definedBy("dev.tapeline.agent.capture..")
                .layer("replay")
                .definedBy("dev.tapeline.agent.replay..")
                .whereLayer("agent")
                .mayNotAccessAnyLayer()
                .whereLayer("proxy")
                .mayOnlyAccessLayers("agent")
                .whereLayer("capture")
                .mayOnlyAccessLayers("agent", "proxy")
                .whereLayer("replay")
                .mayOnlyAccessLayers("agent", "proxy")
                .check(Architecture.productionClasses("dev.tapeline.agent"));
    }
}
