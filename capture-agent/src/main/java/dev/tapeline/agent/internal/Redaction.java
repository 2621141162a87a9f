package dev.tapeline.agent.internal;

import java.util.Locale;
import java.util.Set;

/** Removes secrets from what the agent publishes. */
public final class Redaction {

    public static final String MASK = "REDACTED";

    private Redaction() {
    }

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

    public static boolean isSecretHeader(String name, Set<String> secretHeaders) {
        return secretHeaders.contains(name.toLowerCase(Locale.ROOT));
    }
}
