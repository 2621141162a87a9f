package dev.tapeline.schema.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

class RegistryConfigTest {

    @Test
    void givenCredentialsInTheUrl_whenConfigured_thenBasicAuthAndAUrlWithoutThem() {
        RegistryConfig config = RegistryConfig.of("http://tapeline:p%40ss%3Aword@registry.local:8081/apis/ccompat/v7");

        assertThat(config.urls()).containsExactly(URI.create("http://registry.local:8081/apis/ccompat/v7"));
        assertThat(config.basicAuthUserInfo()).isEqualTo("tapeline:p@ss:word");
        assertThat(RegistryConfig.of("http://registry.local:8081").basicAuthUserInfo())
                .isNull();
    }

    @Test
    void givenBasicAuth_whenTheClientRegisters_thenEveryRequestCarriesItAndNoneTheUrlCredentials() throws Exception {
        List<String> authorizations = new CopyOnWriteArrayList<>();
        List<String> paths = new CopyOnWriteArrayList<>();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            authorizations.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
            paths.add(exchange.getRequestURI().toString());
            byte[] body = "{\"id\":7}".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/vnd.schemaregistry.v1+json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            RestSchemaRegistryClient client = new RestSchemaRegistryClient(RegistryConfig.of(
                    "http://tapeline:secret@127.0.0.1:" + server.getAddress().getPort()));

            int id = client.register("topic-value", Schema.create(Schema.Type.STRING));

            assertThat(id).isEqualTo(7);
            assertThat(authorizations).isNotEmpty().allMatch(a -> a.equals("Basic dGFwZWxpbmU6c2VjcmV0"));
            assertThat(paths).noneMatch(p -> p.contains("secret"));
        } finally {
            server.stop(0);
        }
    }
}
