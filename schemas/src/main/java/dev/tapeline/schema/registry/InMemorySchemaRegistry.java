package dev.tapeline.schema.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;

/**
 * Registry state in memory, with the Confluent semantics Tapeline relies on: the same schema
 * gets the same id under any subject, ids are global, subjects keep versions in order. No
 * compatibility rules. Backs {@link EmbeddedSchemaRegistry} and serves unit tests directly.
 *
 * <p>With a journal file, every change is appended to it (one JSON line per registration) and
 * replayed on start, so ids stay the same across restarts of a persistent dev setup.
 */
public final class InMemorySchemaRegistry implements SchemaRegistryClient {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path journal;

    private final Map<String, Integer> idsBySchema = new LinkedHashMap<>();
    private final List<Schema> schemasById = new ArrayList<>();
    private final Map<String, List<Integer>> versionsBySubject = new LinkedHashMap<>();

    /** State in memory only. */
    public InMemorySchemaRegistry() {
        this.journal = null;
    }

    /** State kept in {@code journal} too, replayed from it now if it exists. */
    public InMemorySchemaRegistry(Path journal) {
        this.journal = journal;
        if (Files.exists(journal)) {
            try {
                for (String line : Files.readAllLines(journal, StandardCharsets.UTF_8)) {
                    if (!line.isBlank()) {
                        JsonNode entry = JSON.readTree(line);
                        apply(
                                entry.path("subject").asText(),
                                new Schema.Parser().parse(entry.path("schema").asText()));
                    }
                }
            } catch (IOException | RuntimeException e) {
                throw new IllegalStateException(
                        "cannot replay schema registry journal " + journal + ": " + e.getMessage(), e);
            }
        }
    }

    @Override
    public synchronized int register(String subject, Schema schema) {
        int before = versionsBySubject.getOrDefault(subject, List.of()).size();
        int id = apply(subject, schema);
        if (journal != null && versionsBySubject.get(subject).size() != before) {
            String line = JSON.createObjectNode().put("subject", subject).put("schema", schema.toString()) + "\n";
            try {
                Files.writeString(
                        journal,
                        line,
                        StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND,
                        StandardOpenOption.SYNC);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot append to schema registry journal " + journal, e);
            }
        }
        return id;
    }

    private int apply(String subject, Schema schema) {
        String canonical = schema.toString();
        Integer id = idsBySchema.get(canonical);
        if (id == null) {
            schemasById.add(schema);
            id = schemasById.size();
            idsBySchema.put(canonical, id);
        }
        List<Integer> versions = versionsBySubject.computeIfAbsent(subject, s -> new ArrayList<>());
        if (!versions.contains(id)) {
            versions.add(id);
        }
        return id;
    }

    @Override
    public synchronized Schema getById(int id) {
        if (id < 1 || id > schemasById.size()) {
            throw new SchemaRegistryException("Schema " + id + " not found", 404, 40403, null);
        }
        return schemasById.get(id - 1);
    }

    public synchronized List<String> subjects() {
        return List.copyOf(versionsBySubject.keySet());
    }

    /** Schema ids of the subject's versions, oldest first; null for an unknown subject. */
    public synchronized List<Integer> versions(String subject) {
        List<Integer> versions = versionsBySubject.get(subject);
        return versions == null ? null : List.copyOf(versions);
    }
}
