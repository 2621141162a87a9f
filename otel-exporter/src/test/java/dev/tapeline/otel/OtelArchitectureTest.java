package dev.tapeline.otel;

import dev.tapeline.schema.testing.Architecture;
import org.junit.jupiter.api.Test;

class OtelArchitectureTest {

    @Test
    void givenTheModule_thenNoPackageImportsInACircle() {
        Architecture.assertNoPackageCycles("dev.tapeline.otel");
    }
}
