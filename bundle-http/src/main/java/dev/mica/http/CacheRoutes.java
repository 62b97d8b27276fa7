package dev.mica.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mica.api.cache.PrefixCache;
import dev.mica.api.cache.PrefixCache.ArmReport;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.List;
import java.util.function.Supplier;

/**
 * The prefix cache's experiment: {@code GET /api/mica/cache} in JSON (each arm's counters and its
 * difference in hit ratio from the control arm, with a 95% interval), and the same counters as
 * Prometheus series for {@code /metrics}; empty arms when no cache bundle is installed.
 * {@code POST /api/mica/cache/replay} replays a recorded trace ({@code trace}: its JSON lines as
 * one string) against installed policies and budgets ({@code policies}, {@code budgets}).
 */
final class CacheRoutes implements ApiRoutes {
    private final Json json;
    private final Supplier<PrefixCache> cache;

    CacheRoutes(Json json, Supplier<PrefixCache> cache) {
        this.json = json;
        this.cache = cache;
    }

    /** The arms of the installed cache; none without one. */
    static List<ArmReport> report(Supplier<PrefixCache> cache) {
        PrefixCache c = cache.get();
        return c == null ? List.of() : c.report();
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.get("/api/mica/cache", this::cache);
        routes.post("/api/mica/cache/replay", this::replay);
    }

    private void replay(Context ctx) {
        ObjectNode body = json.readObject(ctx);
        PrefixCache c = cache.get();
        if (c == null) throw new ApiException(503, "no prefix cache bundle is installed", null);
        String trace = Fields.of(body).requiredString("trace");
        List<String> policies = new java.util.ArrayList<>();
        body.path("policies").forEach(p -> policies.add(p.asText()));
        List<Long> budgets = new java.util.ArrayList<>();
        for (var b : body.path("budgets")) {
            if (!b.canConvertToLong() || b.asLong() <= 0) throw ApiException.badField("budgets", "budgets must be positive token counts, got " + b);
            budgets.add(b.asLong());
        }
        PrefixCache.Replayed replayed;
        try {
            replayed = c.replay(trace.lines().toList(), policies, budgets);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
        ObjectNode o = json.object();
        ArrayNode rows = o.putArray("rows");
        for (PrefixCache.ReplayRow r : replayed.rows()) {
            ObjectNode row = rows.addObject();
            row.put("policy", r.policy());
            row.put("budget_tokens", r.budgetTokens());
            row.put("requests", r.requests());
            row.put("prompt_tokens", r.promptTokens());
            row.put("reused_tokens", r.reusedTokens());
            row.put("hit_rate", r.hitRate());
            row.put("evictions", r.evictions());
        }
        o.put("svg", replayed.svg());
        ctx.json(o);
    }


    private void cache(Context ctx) {
        ObjectNode o = json.object();
        ArrayNode arms = o.putArray("arms");
        for (ArmReport a : report(cache)) {
            ObjectNode arm = arms.addObject();
            arm.put("arm", a.arm());
            arm.put("policy", a.policy());
            arm.put("weight", a.weight());
            arm.put("requests", a.requests());
            arm.put("prompt_tokens", a.promptTokens());
            arm.put("reused_tokens", a.reusedTokens());
            arm.put("prefill_tokens_saved", a.reusedTokens());
            arm.put("hit_rate", a.hitRate());
            arm.put("ttft_p50_ms", a.ttftP50Millis());
            arm.put("ttft_p95_ms", a.ttftP95Millis());
            arm.put("evictions", a.evictions());
            arm.put("resident_cells", a.residentCells());
            arm.put("host_bytes", a.hostBytes());
            ObjectNode d = arm.putObject("hit_ratio_difference");
            d.put("estimate", a.difference());
            // JSON has no infinity: an interval not known yet is null
            if (Double.isFinite(a.differenceLow())) d.put("low", a.differenceLow()); else d.putNull("low");
            if (Double.isFinite(a.differenceHigh())) d.put("high", a.differenceHigh()); else d.putNull("high");
        }
        ctx.json(o);
    }

    /** The arms' counters in Prometheus' text format, one series per arm. */
    static String metrics(List<ArmReport> arms) {
        if (arms.isEmpty()) return "";
        StringBuilder out = new StringBuilder();
        series(out, arms, "mica_cache_requests_total", "counter", "Requests placed by the prefix cache, per experiment arm.", ArmReport::requests);
        series(out, arms, "mica_cache_prompt_tokens_total", "counter", "Prompt tokens of those requests.", ArmReport::promptTokens);
        series(out, arms, "mica_cache_reused_tokens_total", "counter", "Prompt tokens served from the cache: prefill saved.", ArmReport::reusedTokens);
        series(out, arms, "mica_cache_hit_ratio", "gauge", "Reused over prompt tokens.", ArmReport::hitRate);
        series(out, arms, "mica_cache_ttft_p50_seconds", "gauge", "Median time to first token.", a -> a.ttftP50Millis() / 1e3);
        series(out, arms, "mica_cache_ttft_p95_seconds", "gauge", "95th percentile time to first token.", a -> a.ttftP95Millis() / 1e3);
        series(out, arms, "mica_cache_evictions_total", "counter", "Entries the arm's policy evicted, in the contexts open now.", ArmReport::evictions);
        series(out, arms, "mica_cache_resident_cells", "gauge", "KV cells the arm's prefixes hold.", ArmReport::residentCells);
        series(out, arms, "mica_cache_host_bytes", "gauge", "Bytes of the arm's checkpoints in host memory.", ArmReport::hostBytes);
        return out.toString();
    }

    private static void series(StringBuilder out, List<ArmReport> arms, String name, String type, String help,
                               java.util.function.ToDoubleFunction<ArmReport> value) {
        ServerMetrics.header(out, name, type, help);
        for (ArmReport a : arms) {
            ServerMetrics.sample(out, name, "arm=\"" + ServerMetrics.escape(a.arm()) + "\",policy=\"" + ServerMetrics.escape(a.policy()) + "\"",
                    value.applyAsDouble(a));
        }
    }
}
