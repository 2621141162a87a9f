package dev.tapeline.schema.testing;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;

/** The production classes of a module, and the rule every module keeps: no package imports in a circle. */
public final class Architecture {

    private Architecture() {}

    /** The production classes under {@code rootPackage} (tests and test jars left out). */
    public static JavaClasses productionClasses(String rootPackage) {
        return new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS)
                .importPackages(rootPackage);
    }

    /** Fails naming each cycle when the packages under {@code rootPackage} (it included) import in a circle. */
    public static void assertNoPackageCycles(String rootPackage) {
        // sliced from the parent, so that the root package's own classes are a slice too
        String parent = rootPackage.substring(0, rootPackage.lastIndexOf('.'));
        slices().matching(parent + ".(**)")
                .should()
                .beFreeOfCycles()
                .because("a package that runs back up cannot be read alone")
                .check(productionClasses(rootPackage));
    }
}
