package dev.tapeline.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class AdminEndpointTest {

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> get(AdminEndpoint endpoint, String path) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoint.port() + path))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void givenAPartNotReady_whenHealthIsAsked_then503NamingEachCheckUntilItIs() throws Exception {
        Map<String, String> down = new LinkedHashMap<>();
        down.put("kafka", "UP");
        down.put("processor", "DOWN: REBALANCING");
        AtomicReference<Pipeline.Readiness> readiness = new AtomicReference<>(new Pipeline.Readiness(false, down));
        try (AdminEndpoint endpoint =
                AdminEndpoint.start("127.0.0.1", 0, () -> "tapeline_up 1.0\n", readiness::get, null)) {

            HttpResponse<String> notReady = get(endpoint, "/health/ready");
            assertThat(notReady.statusCode()).isEqualTo(503);
            assertThat(notReady.body())
                    .isEqualTo(
                            "{\"status\":\"DOWN\",\"checks\":{\"kafka\":\"UP\",\"processor\":\"DOWN: REBALANCING\"}}");
            assertThat(get(endpoint, "/health/live").statusCode())
                    .as("alive all the same")
                    .isEqualTo(200);

            readiness.set(new Pipeline.Readiness(true, Map.of("processor", "UP")));
            HttpResponse<String> ready = get(endpoint, "/health/ready");
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(ready.body()).isEqualTo("{\"status\":\"UP\",\"checks\":{\"processor\":\"UP\"}}");
            assertThat(get(endpoint, "/metrics").body()).isEqualTo("tapeline_up 1.0\n");
        }
    }
}
