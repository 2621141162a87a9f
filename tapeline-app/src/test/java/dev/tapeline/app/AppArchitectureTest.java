package dev.tapeline.app;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import dev.tapeline.schema.testing.Architecture;
import org.junit.jupiter.api.Test;

/**
 * The modules' layering, which Maven's dependencies allow and these rules say: the shared modules
 * (settings, schemas, fixture-format) use no service; the services (agent, processor, sink, the
 * OpenTelemetry exporter) never use each other or the application; and the application's own packages import in no circle.
 */
class AppArchitectureTest {

    private static final String[] SERVICES_AND_APP = {
        "dev.tapeline.agent..",
        "dev.tapeline.processor..",
        "dev.tapeline.sink..",
        "dev.tapeline.otel..",
        "dev.tapeline.app.."
    };

    /** Every production class of Tapeline, from whichever module (directory or jar) it comes. */
    private static JavaClasses tapeline() {
        return new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(location -> !location.contains("-tests.jar"))
                .importPackages("dev.tapeline");
    }

    @Test
    void givenTheApplication_thenNoPackageImportsInACircle() {
        Architecture.assertNoPackageCycles("dev.tapeline.app");
    }

    @Test
    void givenTheSharedModules_thenNoneUsesAServiceOrTheApplication() {
        noClasses()
                .that()
                .resideInAnyPackage("dev.tapeline.settings..", "dev.tapeline.schema..", "dev.tapeline.fixture..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(SERVICES_AND_APP)
                .check(tapeline());
    }

    @Test
    void givenTheServices_thenNoneUsesAnotherOrTheApplication() {
        JavaClasses tapeline = tapeline();
        noClasses()
                .that()
                .resideInAPackage("dev.tapeline.agent..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("dev.tapeline.processor..", "dev.tapeline.sink..", "dev.tapeline.app..")
                .check(tapeline);
        noClasses()
                .that()
                .resideInAPackage("dev.tapeline.processor..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("dev.tapeline.agent..", "dev.tapeline.sink..", "dev.tapeline.app..")
                .check(tapeline);
        noClasses()
                .that()
                .resideInAPackage("dev.tapeline.sink..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("dev.tapeline.agent..", "dev.tapeline.processor..", "dev.tapeline.app..")
                .check(tapeline);
        noClasses()
                .that()
                .resideInAPackage("dev.tapeline.otel..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "dev.tapeline.agent..", "dev.tapeline.processor..", "dev.tapeline.sink..", "dev.tapeline.app..")
                .check(tapeline);
    }
}
