package dev.mica.http;

import dev.mica.api.cache.PrefixCache;
import dev.mica.api.inference.Inference;
import dev.mica.api.inference.QueueStatus;
import dev.mica.api.inference.RunningModel;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.List;
import java.util.function.Supplier;

/**
 * {@code GET /metrics} in Prometheus' text format: the front end's request counters and
 * latencies ({@link ServerMetrics}), and the engine's state read at scrape time: requests waiting,
 * sequences decoding, the models loaded, and the prefix cache's arms.
 */
final class MetricsRoutes implements ApiRoutes {
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final Inference inference;
    private final ServerMetrics metrics;
    private final Supplier<PrefixCache> cache;

    MetricsRoutes(Inference inference, ServerMetrics metrics, Supplier<PrefixCache> cache) {
        this.inference = inference;
        this.metrics = metrics;
        this.cache = cache;
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.get("/metrics", this::scrape);
    }


    private void scrape(Context ctx) {
        ctx.contentType(CONTENT_TYPE).result(metrics.render(gauges(inference.queue(), inference.running()) + CacheRoutes.metrics(CacheRoutes.report(cache))));
    }

    static String gauges(QueueStatus q, List<RunningModel> running) {
        StringBuilder out = new StringBuilder();
        gauge(out, "mica_queue_waiting_requests", "Requests accepted and waiting for a free sequence.", q.waiting());
        gauge(out, "mica_queue_capacity_requests", "Most requests that may wait; more are refused with 503.", q.capacity());
        gauge(out, "mica_sequences_running", "Sequences being decoded now.", q.running());
        gauge(out, "mica_sequences_parallel", "Sequences that may decode at once, over the loaded models.", q.parallel());
        gauge(out, "mica_models_loaded", "Models loaded now.", running.size());
        ServerMetrics.header(out, "mica_model_context_length_tokens", "gauge", "One series per loaded model: its context length.");
        for (RunningModel m : running) {
            ServerMetrics.sample(out, "mica_model_context_length_tokens", "model=\"" + ServerMetrics.escape(m.name()) + "\",backend=\""
                    + ServerMetrics.escape(String.valueOf(m.backend())) + "\"", m.contextLength());
        }
        return out.toString();
    }

    private static void gauge(StringBuilder out, String name, String help, double value) {
        ServerMetrics.header(out, name, "gauge", help);
        ServerMetrics.sample(out, name, "", value);
    }
}
