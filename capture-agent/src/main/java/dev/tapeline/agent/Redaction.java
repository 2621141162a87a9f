package dev.tapeline.agent;

import java.util.Locale;
import java.util.Set;

/** Removes secrets from what the agent publishes. */
public final class Redaction {

    public static final String MASK = "REDACTED";

    private Redaction() {}

    /** The query string with the values of secret parameters replaced by {@value #MASK}. */
    public static String maskQuery(String rawQuery, Set<String> secretParams) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return rawQuery;
        }
        StringBuilder out = new StringBuilder(rawQuery.length());
        for (String pair : rawQuery.split("&", -1)) {
            if (out.length() > 0) {
                out.append('&');
            }
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair : pair.substring(0, eq);
            String decoded = java.net.URLDecoder.decode(name, java.nio.charset.StandardCharsets.UTF_8);
            if (eq >= 0 && secretParams.contains(decoded.toLowerCase(Locale.ROOT))) {
                out.append(name).append('=').append(MASK);
            } else {
                out.append(pair);
            }
        }
        return out.toString();
    }

    /**
     * The JSON body with the values at the given paths replaced by {@value #MASK}; unchanged
     * (the same array) when no path matches or the body is not JSON. A path is dot-separated
     * keys; {@code *} matches every key of an object or item of an array, e.g.
     * {@code extra_body.project_id} or {@code messages.*.api_key}.
     */
    public static byte[] maskBodyPaths(byte[] body, java.util.List<String> paths) {
        if (paths.isEmpty() || body.length == 0) {
            return body;
        }
        com.fasterxml.jackson.databind.JsonNode json;
        try {
            json = dev.tapeline.fixture.python.PyJson.parse(body);
        } catch (dev.tapeline.fixture.python.PyJson.InvalidJsonException e) {
            return body;
        }
        boolean masked = false;
        for (String path : paths) {
            masked |= mask(json, path.split("\\."), 0);
        }
        return masked
                ? dev.tapeline.fixture.python.PyJson.dumpsCompact(json)
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8)
                : body;
    }

    private static boolean mask(com.fasterxml.jackson.databind.JsonNode node, String[] path, int depth) {
        String segment = path[depth];
        boolean last = depth == path.length - 1;
        boolean masked = false;
        if (node instanceof com.fasterxml.jackson.databind.node.ObjectNode object) {
            for (String key : segment.equals("*") ? iterable(object.fieldNames()) : java.util.List.of(segment)) {
                com.fasterxml.jackson.databind.JsonNode child = object.get(key);
                if (child == null) {
                    continue;
                }
                if (last) {
                    object.put(key, MASK);
                    masked = true;
                } else {
                    masked |= mask(child, path, depth + 1);
                }
            }
        } else if (node instanceof com.fasterxml.jackson.databind.node.ArrayNode array && segment.equals("*")) {
            for (int i = 0; i < array.size(); i++) {
                if (last) {
                    array.set(i, com.fasterxml.jackson.databind.node.TextNode.valueOf(MASK));
                    masked = true;
                } else {
                    masked |= mask(array.get(i), path, depth + 1);
                }
            }
        }
        return masked;
    }

    private static java.util.List<String> iterable(java.util.Iterator<String> names) {
        java.util.List<String> list = new java.util.ArrayList<>();
        names.forEachRemaining(list::add);
        return list;
    }
}
