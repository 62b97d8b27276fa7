package dev.mica.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** mica.http.max_body bounds JSON bodies, not blob uploads. */
class BodyLimitTest extends ServerFixture {
    @Override
    HttpSettings settings() {
        return HttpSettings.loopback(0).withMaxBody(1024);
    }

    @Test
    void largeJsonBodiesAre413InEachShape() {
        String big = "{\"model\":\"stories\",\"prompt\":\"" + "x".repeat(4096) + "\"}";
        HttpResponse<String> ollama = http.post("/api/generate", big);
        assertEquals(413, ollama.statusCode());
        assertTrue(Http.json(ollama).get("error").asText().contains("mica.http.max_body"));
        HttpResponse<String> openai = http.post("/v1/chat/completions", "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(4096) + "\"}]}");
        assertEquals(413, openai.statusCode());
        assertEquals("request_too_large", Http.json(openai).get("error").get("code").asText());
        assertEquals(200, http.post("/api/generate", "{\"model\":\"stories\",\"prompt\":\"hi\",\"stream\":false}").statusCode());
    }

    @Test
    void blobsAreNotLimited() throws Exception {
        byte[] data = new byte[256 * 1024];
        new java.util.Random(1).nextBytes(data);
        String digest = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        assertEquals(201, http.post("/api/blobs/" + digest, data).statusCode());
    }
}
