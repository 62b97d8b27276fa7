package dev.mica.http;

import dev.mica.api.inference.GenerationEvent;
import dev.mica.api.inference.Metrics;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters and latency histograms the front end keeps, written in Prometheus' text format
 * (version 0.0.4) by {@link MetricsRoutes}. Label values are bounded: routes are the matched path
 * patterns ({@code /api/blobs/{digest}}, not each digest), never raw request paths.
 */
final class ServerMetrics {
    /** Upper bounds in seconds, from a fast status call to a long generation. */
    static final double[] BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600};

    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
    private final Map<String, Histogram> durations = new ConcurrentHashMap<>();
    private final Histogram firstToken = new Histogram();
    private final LongAdder promptTokens = new LongAdder();
    private final LongAdder cachedTokens = new LongAdder();
    private final LongAdder generatedTokens = new LongAdder();
    private final Map<String, LongAdder> generations = new ConcurrentHashMap<>();

    /** A request finished: its route pattern, method, status and how long it took. */
    void request(String route, String method, int status, long nanos) {
        String labels = "method=\"" + method + "\",route=\"" + escape(route) + "\"";
        requests.computeIfAbsent(labels + ",status=\"" + status + "\"", k -> new LongAdder()).increment();
        durations.computeIfAbsent(labels, k -> new Histogram()).observe(nanos / 1e9);
    }

    /** A generation ended (streamed or not): its tokens and how it ended. */
    void generation(GenerationEvent.Done done) {
        Metrics m = done.metrics();
        if (m != null) {
            promptTokens.add(m.promptTokens());
            cachedTokens.add(m.cachedTokens());
            generatedTokens.add(m.evalCount());
        }
        generations.computeIfAbsent(done.reason().wireName(), k -> new LongAdder()).increment();
    }

    /** Time from a generation request's arrival to its first streamed event. */
    void firstToken(long nanos) {
        firstToken.observe(nanos / 1e9);
    }

    /** The exposition text; {@code gauges} are appended as they are (queue depth, loaded models). */
    String render(String gauges) {
        StringBuilder out = new StringBuilder(4096);
        header(out, "mica_http_requests_total", "counter", "HTTP requests by route, method and status.");
        new TreeMap<>(requests).forEach((labels, n) -> sample(out, "mica_http_requests_total", labels, n.sum()));
        header(out, "mica_http_request_duration_seconds", "histogram", "HTTP request latency, to the last byte of a streamed answer.");
        new TreeMap<>(durations).forEach((labels, h) -> h.write(out, "mica_http_request_duration_seconds", labels));
        header(out, "mica_time_to_first_token_seconds", "histogram", "From a generation request's arrival to its first streamed event.");
        firstToken.write(out, "mica_time_to_first_token_seconds", "");
        header(out, "mica_prompt_tokens_total", "counter", "Prompt tokens of finished generations, cached ones included.");
        sample(out, "mica_prompt_tokens_total", "", promptTokens.sum());
        header(out, "mica_prompt_cached_tokens_total", "counter", "Prompt tokens reused from the cache instead of computed.");
        sample(out, "mica_prompt_cached_tokens_total", "", cachedTokens.sum());
        header(out, "mica_generated_tokens_total", "counter", "Tokens generated.");
        sample(out, "mica_generated_tokens_total", "", generatedTokens.sum());
        header(out, "mica_generations_total", "counter", "Finished generations by how they ended.");
        new TreeMap<>(generations).forEach((reason, n) -> sample(out, "mica_generations_total", "reason=\"" + reason + "\"", n.sum()));
        out.append(gauges);
        return out.toString();
    }

    static void header(StringBuilder out, String name, String type, String help) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    static void sample(StringBuilder out, String name, String labels, double value) {
        out.append(name);
        if (!labels.isEmpty()) out.append('{').append(labels).append('}');
        out.append(' ').append(format(value)).append('\n');
    }

    static String format(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
        return String.format(Locale.ROOT, "%.6f", v);
    }

    /** Label values escape backslash, quote and newline, as the format requires. */
    static String escape(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    /** A cumulative histogram with the fixed {@link #BUCKETS}. */
    private static final class Histogram {
        private final LongAdder[] counts = new LongAdder[BUCKETS.length];
        private final LongAdder count = new LongAdder();
        private final java.util.concurrent.atomic.DoubleAdder sum = new java.util.concurrent.atomic.DoubleAdder();

        Histogram() {
            for (int i = 0; i < counts.length; i++) counts[i] = new LongAdder();
        }

        void observe(double seconds) {
            for (int i = 0; i < BUCKETS.length; i++) {
                if (seconds <= BUCKETS[i]) {
                    counts[i].increment();
                    break;
                }
            }
            count.increment();
            sum.add(seconds);
        }

        void write(StringBuilder out, String name, String labels) {
            String sep = labels.isEmpty() ? "" : labels + ",";
            long cumulative = 0;
            for (int i = 0; i < BUCKETS.length; i++) {
                cumulative += counts[i].sum();
                sample(out, name + "_bucket", sep + "le=\"" + format(BUCKETS[i]) + "\"", cumulative);
            }
            sample(out, name + "_bucket", sep + "le=\"+Inf\"", count.sum());
            sample(out, name + "_sum", labels, sum.sum());
            sample(out, name + "_count", labels, count.sum());
        }
    }
}
