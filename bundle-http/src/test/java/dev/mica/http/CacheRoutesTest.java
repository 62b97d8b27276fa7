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

    @Test
    void replaysATraceAgainstPoliciesAndBudgets() {
        String body = "{\"trace\": \"{\\\"t\\\": 1}\\n{\\\"t\\\": 2}\\n\", \"policies\": [\"lru\", \"gdsf\"], \"budgets\": [4096, 16384]}";
        HttpResponse<String> r = http.post("/api/mica/cache/replay", body);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode rows = Http.json(r).path("rows");
        assertEquals(4, rows.size());
        assertEquals("gdsf", rows.get(3).path("policy").asText());
        assertEquals(16384, rows.get(3).path("budget_tokens").asLong());
        assertEquals(2, cache.lastTrace.size(), "the trace arrives as its lines");
        assertEquals("<svg/>", Http.json(r).path("svg").asText());
    }

    @Test
    void aBadReplayIsRefusedWithTheReason() {
        HttpResponse<String> unknown = http.post("/api/mica/cache/replay", "{\"trace\": \"\", \"policies\": [\"nope\"], \"budgets\": [1]}");
        assertEquals(400, unknown.statusCode(), unknown.body());
        assertEquals(400, http.post("/api/mica/cache/replay", "{\"trace\": \"x\", \"policies\": [\"lru\"], \"budgets\": [-1]}").statusCode());
        assertEquals(400, http.post("/api/mica/cache/replay", "{\"policies\": [\"lru\"]}").statusCode(), "the trace is required");
        assertEquals(400, http.post("/api/mica/cache/replay", "{not json").statusCode());
    }
}
