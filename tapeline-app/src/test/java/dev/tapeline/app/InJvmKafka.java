package dev.tapeline.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real KRaft broker in this JVM for the tests of one class: started before them, on free ports
 * and a temporary log directory, stopped and removed after them. Register it as a static field
 * with {@code @RegisterExtension}.
 */
public final class InJvmKafka implements BeforeAllCallback, AfterAllCallback {

    private final Map<String, String> saslUsers;
    private EmbeddedKafka kafka;
    private Path dir;

    /** A PLAINTEXT broker. */
    public InJvmKafka() {
        this(Map.of());
    }

    private InJvmKafka(Map<String, String> saslUsers) {
        this.saslUsers = Map.copyOf(saslUsers);
    }

    /** A broker whose client listener speaks SASL_PLAINTEXT only, for these users (name → password). */
    public static InJvmKafka withSaslUsers(Map<String, String> users) {
        return new InJvmKafka(users);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        dir = Files.createTempDirectory("tapeline-kafka");
        kafka = saslUsers.isEmpty() ? EmbeddedKafka.start(dir, 0, 0) : EmbeddedKafka.startSasl(dir, 0, 0, saslUsers);
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        if (kafka != null) {
            kafka.close();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path path : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }
}
