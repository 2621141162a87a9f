package dev.tapeline.agent.proxy;

import dev.tapeline.agent.Route;
import java.util.List;
import java.util.Map;

/**
 * A request as the agent received it. Headers are all there, for the upstream; whatever is
 * published from them passes the tap's redaction first.
 *
 * @param completionId id minted by the agent for this exchange
 * @param route        the route that serves it
 * @param method       HTTP method
 * @param path         path and query the client sent, secret query values masked
 * @param endpoint     path below the route prefix
 * @param upstreamUrl  where it is forwarded (query masked)
 * @param headers      request headers in arrival order
 * @param body         the request body
 * @param testId       test id from the request headers, or null
 * @param clientSdkVersion OpenAI Python SDK version from {@code X-Stainless-Package-Version}, or null
 * @param startNanos   {@link System#nanoTime()} when the request arrived
 * @param serverVersion version the upstream reports at {@code /version} (vLLM), or null
 */
public record ExchangeRequest(
        String completionId,
        Route route,
        String method,
        String path,
        String endpoint,
        String upstreamUrl,
        List<Map.Entry<String, String>> headers,
        byte[] body,
        String testId,
        String clientSdkVersion,
        long startNanos,
        String serverVersion) {

    /**
     * The URL llama-stack would record: the route's recorded base URL plus the endpoint, with a
     * Databricks workspace host replaced by {@code __databricks__} as its recorder does.
     */
    public String recordedUrl() {
        return recordedUrl(route.recordedBaseUrl(), endpoint);
    }

    /** The query string the client sent (secret values masked), or null. */
    public String query() {
        return dev.tapeline.fixture.FixtureRequest.queryOf(path);
    }

    public static String recordedUrl(String baseUrl, String endpoint) {
        String url = baseUrl + endpoint;
        int databricks = url.lastIndexOf("cloud.databricks.com");
        return databricks < 0 ? url : "__databricks__" + url.substring(databricks + "cloud.databricks.com".length());
    }
}
