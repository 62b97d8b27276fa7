package dev.mica.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** /metrics in Prometheus' text exposition format, with the counts the requests before it caused. */
class MetricsTest extends ServerFixture {
    private static final Pattern SAMPLE = Pattern.compile("([a-z_:][a-z0-9_:]*)(\\{[^}]*})? (-?[0-9.]+(e[+-]?[0-9]+)?|\\+Inf|NaN)");

    @Test
    void countsRequestsTokensAndEngineState() {
        http.post("/api/generate", "{\"model\":\"stories\",\"prompt\":\"hi\",\"stream\":false}");
        http.post("/api/generate", "{\"model\":\"stories\",\"prompt\":\"hi\"}");
        http.post("/api/generate", "{\"model\":\"nope\",\"prompt\":\"hi\"}");
        http.get("/api/blobs/sha256:" + "0".repeat(64));
        HttpResponse<String> r = http.get("/metrics");
        assertEquals(200, r.statusCode());
        assertEquals("text/plain; version=0.0.4; charset=utf-8", r.headers().firstValue("content-type").orElse(""));
        Map<String, Double> samples = parse(r.body());

        assertEquals(2.0, samples.get("mica_http_requests_total{method=\"POST\",route=\"/api/generate\",status=\"200\"}"));
        assertEquals(1.0, samples.get("mica_http_requests_total{method=\"POST\",route=\"/api/generate\",status=\"404\"}"));
        assertTrue(r.body().contains("route=\"unmatched\"") || r.body().contains("route=\"/api/blobs/{digest}\""), "no raw digests as labels");
        assertEquals(3.0, samples.get("mica_http_request_duration_seconds_count{method=\"POST\",route=\"/api/generate\"}"));
        assertEquals(24.0, samples.get("mica_prompt_tokens_total"), "2 generations of 12 prompt tokens");
        assertEquals(4.0, samples.get("mica_prompt_cached_tokens_total"));
        assertEquals(8.0, samples.get("mica_generated_tokens_total"));
        assertEquals(2.0, samples.get("mica_generations_total{reason=\"stop\"}"));
        assertEquals(2.0, samples.get("mica_time_to_first_token_seconds_count"));
        assertEquals(0.0, samples.get("mica_queue_waiting_requests"));
        assertEquals(2.0, samples.get("mica_models_loaded"), "the scripted engine reports two running models");
        assertEquals(256.0, samples.get("mica_model_context_length_tokens{model=\"stories:latest\",backend=\"java\"}"));
        assertEquals(700.0, samples.get("mica_cache_reused_tokens_total{arm=\"test\",policy=\"lru-branch\"}"));
        assertEquals(0.12, samples.get("mica_cache_ttft_p50_seconds{arm=\"control\",policy=\"lru\"}"), 1e-9);
        double inf = samples.get("mica_http_request_duration_seconds_bucket{method=\"POST\",route=\"/api/generate\",le=\"+Inf\"}");
        assertEquals(3.0, inf, "buckets are cumulative up to +Inf = count");
    }

    /** Every line is a comment (# HELP / # TYPE) or one sample; returns the samples by name and labels. */
    private static Map<String, Double> parse(String body) {
        Map<String, Double> out = new HashMap<>();
        for (String line : body.split("\n")) {
            if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) continue;
            Matcher m = SAMPLE.matcher(line);
            assertTrue(m.matches(), "not a sample line: " + line);
            out.put(m.group(1) + (m.group(2) == null ? "" : m.group(2)), m.group(3).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(m.group(3)));
        }
        return out;
    }
}
