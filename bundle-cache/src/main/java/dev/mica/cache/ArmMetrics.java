package dev.mica.cache;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Per-arm counters of an experiment. Samples (time to first token, per-request hit ratio) are kept
 * in bounded reservoirs, so a long experiment costs constant memory.
 */
public final class ArmMetrics {
    private static final int RESERVOIR = 4096;

    private long requests;
    private long promptTokens;
    private long reusedTokens;
    private final Reservoir ttftNanos = new Reservoir(1);
    private final Reservoir hitRatios = new Reservoir(2);

    public record Snapshot(long requests, long promptTokens, long reusedTokens, double hitRate, double ttftP50Millis, double ttftP95Millis,
            double meanRequestHitRatio, double requestHitRatioVariance, long samples) {}

    public synchronized void record(int prompt, int reused, long ttftNanos) {
        requests++;
        promptTokens += prompt;
        reusedTokens += reused;
        this.ttftNanos.add(ttftNanos);
        hitRatios.add(prompt == 0 ? 0 : (double) reused / prompt);
    }

    public synchronized Snapshot snapshot() {
        double[] ttft = ttftNanos.values();
        Arrays.sort(ttft);
        double[] ratios = hitRatios.values();
        double mean = Arrays.stream(ratios).average().orElse(0);
        double var = ratios.length < 2 ? 0 : Arrays.stream(ratios).map(r -> (r - mean) * (r - mean)).sum() / (ratios.length - 1);
        return new Snapshot(requests, promptTokens, reusedTokens, promptTokens == 0 ? 0 : (double) reusedTokens / promptTokens,
                percentile(ttft, 0.50) / 1e6, percentile(ttft, 0.95) / 1e6, mean, var, ratios.length);
    }

    static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) return 0;
        int i = (int) Math.ceil(p * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    /**
     * The difference of mean per-request hit ratios (b − a) with a 95% Welch interval: it says
     * whether arm b reuses more than arm a beyond the noise of which conversations each arm drew.
     */
    public record Difference(double estimate, double low, double high) {
        public boolean significant() {
            return low > 0 || high < 0;
        }
    }

    public static Difference difference(Snapshot a, Snapshot b) {
        double est = b.meanRequestHitRatio() - a.meanRequestHitRatio();
        if (a.samples() < 2 || b.samples() < 2) return new Difference(est, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY);
        double se = Math.sqrt(a.requestHitRatioVariance() / a.samples() + b.requestHitRatioVariance() / b.samples());
        return new Difference(est, est - 1.96 * se, est + 1.96 * se);
    }

    /** Vitter's algorithm R with a fixed seed, so replays are deterministic. */
    private static final class Reservoir {
        private final List<Double> values = new ArrayList<>();
        private final SplittableRandom random;
        private long seen;

        Reservoir(long seed) {
            random = new SplittableRandom(seed);
        }

        void add(double v) {
            seen++;
            if (values.size() < RESERVOIR) {
                values.add(v);
            } else {
                long j = random.nextLong(seen);
                if (j < RESERVOIR) values.set((int) j, v);
            }
        }

        double[] values() {
            return values.stream().mapToDouble(Double::doubleValue).toArray();
        }
    }
}
