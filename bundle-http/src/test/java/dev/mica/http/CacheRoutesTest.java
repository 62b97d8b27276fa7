package dev.mica.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** GET /api/mica/cache: the prefix cache's experiment, arm by arm. */
class CacheRoutesTest extends ServerFixture {
    @Test
    void reportsEachArmAndTheDifferenceFromTheControl() {
        HttpResponse<String> r = http.get("/api/mica/cache");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode arms = Http.json(r).path("arms");
        assertEquals(2, arms.size());
        assertEquals("control", arms.get(0).path("arm").asText());
        assertEquals(400, arms.get(0).path("reused_tokens").asLong());
        JsonNode test = arms.get(1);
        assertEquals("lru-branch", test.path("policy").asText());
        assertEquals(0.636, test.path("hit_rate").asDouble(), 1e-9);
        assertEquals(250, test.path("ttft_p95_ms").asDouble(), 1e-9);
        assertEquals(0.05, test.path("hit_ratio_difference").path("low").asDouble(), 1e-9);
        assertTrue(test.path("hit_ratio_difference").path("high").isNull(), "an unbounded interval is null, JSON has no infinity");
    }
}
