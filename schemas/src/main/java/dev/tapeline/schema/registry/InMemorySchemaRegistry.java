package dev.tapeline.schema.registry;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;

/**
 * Registry state in memory, with the Confluent semantics Tapeline relies on: the same schema
 * gets the same id under any subject, ids are global, subjects keep versions in order. No
 * compatibility rules. Backs {@link EmbeddedSchemaRegistry} and serves unit tests directly.
 */
public final class InMemorySchemaRegistry implements SchemaRegistryClient {

    private final Map<String, Integer> idsBySchema = new LinkedHashMap<>();
    private final List<Schema> schemasById = new ArrayList<>();
    private final Map<String, List<Integer>> versionsBySubject = new LinkedHashMap<>();

    @Override
    public synchronized int register(String subject, Schema schema) {
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
