package dev.mica.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The API key, the CORS allow-list and the loopback Host check, on a server with a key set. */
class AccessControlTest extends ServerFixture {
    private static final String KEY = "s3cret-key";

    @Override
    HttpSettings settings() {
        return HttpSettings.loopback(0).withApiKey(KEY).withOrigins(List.of("https://app.example.com", "https://*.trusted.dev"));
    }

    private HttpResponse<String> get(String path, String... headers) {
        return http.send(request(path, headers).GET());
    }

    private HttpResponse<String> post(String path, String body, String... headers) {
        return http.send(request(path, headers).POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private HttpRequest.Builder request(String path, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(http.base.resolve(path));
        return headers.length == 0 ? b : b.headers(headers);
    }

    @Test
    void everyRouteNeedsTheKeyAndEachApiRefusesInItsShape() {
        for (String path : List.of("/", "/api/tags", "/api/version", "/v1/models", "/metrics", "/api/mica/status", "/no/such/route")) {
            HttpResponse<String> r = get(path);
            assertEquals(401, r.statusCode(), path + ": " + r.body());
            assertEquals("Bearer", r.headers().firstValue("WWW-Authenticate").orElse(""), path);
        }
        assertTrue(Http.json(get("/api/tags")).get("error").asText().contains("API key"));
        assertEquals("invalid_api_key", Http.json(get("/v1/models")).get("error").get("code").asText());
        HttpResponse<String> anthropic = post("/v1/messages", "{}");
        assertEquals(401, anthropic.statusCode());
        assertEquals("authentication_error", Http.json(anthropic).get("error").get("type").asText());
        assertEquals(401, get("/api/tags", "Authorization", "Bearer wrong").statusCode());
        assertEquals(401, get("/api/tags", "Authorization", "Basic " + KEY).statusCode());
    }

    @Test
    void theKeyIsAcceptedAsBearerTokenOrAsXApiKey() {
        assertEquals(200, get("/api/tags", "Authorization", "Bearer " + KEY).statusCode());
        assertEquals(200, get("/v1/models", "authorization", "bearer " + KEY).statusCode());
        HttpResponse<String> r = post("/v1/messages", "{\"model\":\"stories\",\"max_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                "x-api-key", KEY, "anthropic-version", "2023-06-01");
        assertEquals(200, r.statusCode(), r.body());
    }

    @Test
    void localAndListedOriginsGetCorsHeadersOthersAre403() {
        HttpResponse<String> local = get("/api/version", "Origin", "http://localhost:3000", "Authorization", "Bearer " + KEY);
        assertEquals(200, local.statusCode());
        assertEquals("http://localhost:3000", local.headers().firstValue("Access-Control-Allow-Origin").orElse(""));
        assertEquals(200, get("/api/version", "Origin", "https://app.example.com", "Authorization", "Bearer " + KEY).statusCode());
        assertEquals(200, get("/api/version", "Origin", "https://ui.trusted.dev", "Authorization", "Bearer " + KEY).statusCode());
        HttpResponse<String> evil = get("/api/version", "Origin", "https://evil.example", "Authorization", "Bearer " + KEY);
        assertEquals(403, evil.statusCode());
        assertFalse(evil.headers().firstValue("Access-Control-Allow-Origin").isPresent());
        assertTrue(Http.json(evil).get("error").asText().contains("mica.origins"));
    }

    @Test
    void preflightsNeedNoKey() {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(http.base.resolve("/v1/chat/completions"))
                .headers("Origin", "http://127.0.0.1:8080", "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization,content-type")
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()));
        assertEquals(204, r.statusCode(), r.body());
        assertEquals("http://127.0.0.1:8080", r.headers().firstValue("Access-Control-Allow-Origin").orElse(""));
        assertTrue(r.headers().firstValue("Access-Control-Allow-Headers").orElse("").contains("Authorization"));
        assertTrue(r.headers().firstValue("Access-Control-Allow-Methods").orElse("").contains("POST"));
    }

    @Test
    void aLoopbackServerRefusesForeignHostNames() throws Exception {
        assertTrue(rawGet("evil.example.com").startsWith("HTTP/1.1 403"), "DNS rebinding: a foreign name resolving to 127.0.0.1");
        assertTrue(rawGet("localhost:" + http.base.getPort()).startsWith("HTTP/1.1 200"));
        assertTrue(rawGet("[::1]:" + http.base.getPort()).startsWith("HTTP/1.1 200"));
        assertTrue(rawGet("mica.localhost").startsWith("HTTP/1.1 200"));
        assertTrue(AccessControl.isLoopbackHost("127.0.0.2:80"));
        assertFalse(AccessControl.isLoopbackHost("10.0.0.1"));
        assertFalse(AccessControl.isLoopbackHost("localhost.evil.com"));
        assertFalse(AccessControl.isLoopbackHost(null));
    }

    private String rawGet(String host) throws Exception {
        try (Socket s = new Socket(http.base.getHost(), http.base.getPort())) {
            OutputStream out = s.getOutputStream();
            out.write(("GET /api/version HTTP/1.1\r\nHost: " + host + "\r\nAuthorization: Bearer " + KEY + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
