package dev.tapeline.processor;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;

import dev.tapeline.schema.testing.Architecture;
import org.junit.jupiter.api.Test;

/** The processor's layering: its topology and runtime (this package) on the helpers and the store schema below. */
class ProcessorArchitectureTest {

    @Test
    void givenTheModule_thenNoPackageImportsInACircle() {
        Architecture.assertNoPackageCycles("dev.tapeline.processor");
    }

    @Test
    void givenTheModule_thenTheHelpersAndTheStoreSchemaNeverUseTheTopology() {
        layeredArchitecture()
                .consideringOnlyDependenciesInLayers()
                .layer("processor")
                .definedBy("dev.tapeline.processor")
                .layer("internal")
                .definedBy("dev.tapeline.processor.internal..")
                .layer("state")
                .definedBy("dev.tapeline.processor.state..")
                .whereLayer("processor")
                .mayNotBeAccessedByAnyLayer()
                .whereLayer("internal")
                .mayOnlyAccessLayers("state")
                .whereLayer("state")
                .mayNotAccessAnyLayer()
                .check(Architecture.productionClasses("dev.tapeline.processor"));
    }
}
