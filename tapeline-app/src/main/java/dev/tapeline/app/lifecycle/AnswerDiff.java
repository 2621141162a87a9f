package dev.tapeline.app.lifecycle;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * How a provider's answer to the same request changed between two recordings of it, by structure
 * rather than by bytes: fields added and removed, fields whose type changed, the model, system
 * fingerprint and finish reasons it reports, and whether the text differs. A streamed answer is
 * taken as a whole: the fields of all its chunks. Array positions are not told apart
 * ({@code choices[].delta.content}), and a field that is sometimes null is not a type change.
 *
 * @param added         fields only the new answer has (a new object's own fields not listed again)
 * @param removed       fields only the old answer had
 * @param typeChanged   field → its JSON types before and after ({@code number → string})
 * @param changed       model, system_fingerprint, finish_reason, stop_reason: field → old and new values
 * @param contentBefore the answer's text before (content, text, deltas, refusals, in order)
 * @param contentAfter  and after
 */
record AnswerDiff(
        List<String> added,
        List<String> removed,
        Map<String, String> typeChanged,
        Map<String, String> changed,
        String contentBefore,
        String contentAfter) {

    /** The fields whose values are reported when they change. */
    private static final Set<String> REPORTED = Set.of("model", "system_fingerprint", "finish_reason", "stop_reason");

    /** The fields whose text makes up an answer's content. */
    private static final Set<String> TEXT = Set.of("content", "text", "delta", "refusal", "response", "arguments");

    boolean contentChanged() {
        return !contentBefore.equals(contentAfter);
    }

    boolean drifted() {
        return !added.isEmpty()
                || !removed.isEmpty()
                || !typeChanged.isEmpty()
                || !changed.isEmpty()
                || contentChanged();
    }

    /** The difference between two answers, each a list of JSON documents (one, or a stream's chunks). */
    static AnswerDiff of(List<JsonNode> before, List<JsonNode> after) {
        Shape old = Shape.of(before);
        Shape now = Shape.of(after);
        List<String> added = topmost(now.types.keySet(), old.types.keySet());
        List<String> removed = topmost(old.types.keySet(), now.types.keySet());
        Map<String, String> typeChanged = new TreeMap<>();
        for (Map.Entry<String, Set<String>> field : old.types.entrySet()) {
            Set<String> was = withoutNull(field.getValue());
            Set<String> is = withoutNull(now.types.getOrDefault(field.getKey(), Set.of()));
            if (!was.isEmpty() && !is.isEmpty() && !was.equals(is)) {
                typeChanged.put(field.getKey(), String.join("|", was) + " → " + String.join("|", is));
            }
        }
        Map<String, String> changed = new TreeMap<>();
        for (String name : REPORTED) {
            Set<String> was = old.values.getOrDefault(name, Set.of());
            Set<String> is = now.values.getOrDefault(name, Set.of());
            if (!was.equals(is)) {
                changed.put(name, String.join(", ", was) + " → " + String.join(", ", is));
            }
        }
        return new AnswerDiff(added, removed, typeChanged, changed, old.text.toString(), now.text.toString());
    }

    /** The fields of {@code these} not in {@code those}, without those inside another listed one. */
    private static List<String> topmost(Set<String> these, Set<String> those) {
        List<String> only = new ArrayList<>();
        for (String field : new TreeSet<>(these)) {
            if (!those.contains(field)
                    && only.stream()
                            .noneMatch(parent -> field.startsWith(parent + ".") || field.startsWith(parent + "["))) {
                only.add(field);
            }
        }
        return only;
    }

    private static Set<String> withoutNull(Set<String> types) {
        Set<String> set = new TreeSet<>(types);
        set.remove("null");
        return set;
    }

    /** Every field's JSON types, the values of the reported fields, the text, over documents. */
    private static final class Shape {
        final Map<String, Set<String>> types = new TreeMap<>();
        final Map<String, Set<String>> values = new TreeMap<>();
        final StringBuilder text = new StringBuilder();

        static Shape of(List<JsonNode> documents) {
            Shape shape = new Shape();
            documents.forEach(document -> shape.walk("", null, document));
            return shape;
        }

        private void walk(String path, String name, JsonNode node) {
            if (!path.isEmpty()) {
                types.computeIfAbsent(path, p -> new TreeSet<>()).add(type(node));
            }
            if (name != null && REPORTED.contains(name) && node.isValueNode() && !node.isNull()) {
                values.computeIfAbsent(name, n -> new TreeSet<>()).add(node.asText());
            }
            if (name != null && TEXT.contains(name) && node.isTextual()) {
                text.append(node.textValue());
            }
            if (node.isObject()) {
                Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
                while (fields.hasNext()) {
                    Map.Entry<String, JsonNode> field = fields.next();
                    walk(
                            path.isEmpty() ? field.getKey() : path + "." + field.getKey(),
                            field.getKey(),
                            field.getValue());
                }
            } else if (node.isArray()) {
                node.forEach(item -> walk(path + "[]", name, item));
            }
        }

        private static String type(JsonNode node) {
            return switch (node.getNodeType()) {
                case OBJECT -> "object";
                case ARRAY -> "array";
                case STRING -> "string";
                case NUMBER -> "number";
                case BOOLEAN -> "boolean";
                case NULL -> "null";
                default -> node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
            };
        }
    }
}
