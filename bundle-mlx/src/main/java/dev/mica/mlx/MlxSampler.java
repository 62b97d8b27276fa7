package dev.mica.mlx;

import dev.mica.api.backend.Sampler;
import dev.mica.api.backend.SamplingParams;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Samples on the host from the copied logits, in llama.cpp's order: repetition penalties over the
 * last {@code repeat_last_n} tokens, top-k, top-p, min-p, temperature and a seeded draw;
 * temperature 0 is greedy. (The Java backend's sampler is private to its bundle; typical-p is not
 * done here yet.)
 */
final class MlxSampler implements Sampler {
    private final MlxContext context;
    private final SamplingParams params;
    private final int window;
    private final int[] history;
    private int historyStart, historySize;
    private final SplittableRandom random;
    private boolean closed;

    MlxSampler(MlxContext context, SamplingParams params) {
        if (!Float.isFinite(params.temperature()) || !Float.isFinite(params.topP()) || !Float.isFinite(params.minP())
                || !(params.repeatPenalty() > 0f) || !Float.isFinite(params.repeatPenalty())) {
            throw new IllegalArgumentException("sampling parameters out of range: " + params);
        }
        this.context = context;
        this.params = params;
        this.window = params.repeatLastN() < 0 ? context.contextLength() : params.repeatLastN();
        this.history = new int[Math.max(window, 0)];
        this.random = params.seed() == SamplingParams.RANDOM_SEED ? new SplittableRandom() : new SplittableRandom(params.seed());
    }

    @Override
    public synchronized int sample(int batchRow) {
        if (closed) throw new IllegalStateException("the sampler is closed");
        float[] logits = context.logitsCopy(batchRow);
        penalize(logits);
        int token = params.temperature() <= 0f ? argmax(logits) : draw(logits);
        remember(token);
        return token;
    }

    @Override
    public synchronized void accept(int token) {
        remember(token);
    }

    @Override
    public synchronized void reset() {
        historyStart = historySize = 0;
    }

    @Override
    public synchronized void close() {
        closed = true;
    }

    private void remember(int token) {
        if (window <= 0) return;
        if (historySize < window) {
            history[(historyStart + historySize++) % window] = token;
        } else {
            history[historyStart] = token;
            historyStart = (historyStart + 1) % window;
        }
    }

    private void penalize(float[] logits) {
        if (window <= 0 || historySize == 0
                || (params.repeatPenalty() == 1f && params.frequencyPenalty() == 0f && params.presencePenalty() == 0f)) return;
        Map<Integer, Integer> counts = new HashMap<>();
        for (int i = 0; i < historySize; i++) counts.merge(history[(historyStart + i) % window], 1, Integer::sum);
        counts.forEach((t, count) -> {
            if (t < 0 || t >= logits.length) return;
            float l = logits[t];
            l = l <= 0 ? l * params.repeatPenalty() : l / params.repeatPenalty();
            logits[t] = l - count * params.frequencyPenalty() - params.presencePenalty();
        });
    }

    static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    private int draw(float[] logits) {
        Integer[] order = new Integer[logits.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a]));
        int n = params.topK() > 0 ? Math.min(params.topK(), order.length) : order.length;
        if (params.topP() < 1f) {
            double[] p = softmax(logits, order, n, 1f);
            double cum = 0;
            for (int i = 0; i < n; i++) {
                cum += p[i];
                if (cum >= params.topP()) {
                    n = i + 1;
                    break;
                }
            }
        }
        if (params.minP() > 0f) {
            float bound = logits[order[0]] + (float) Math.log(params.minP());
            int keep = 1;
            while (keep < n && logits[order[keep]] >= bound) keep++;
            n = keep;
        }
        double[] p = softmax(logits, order, n, params.temperature());
        double r = random.nextDouble(), cum = 0;
        for (int i = 0; i < n; i++) {
            cum += p[i];
            if (r < cum) return order[i];
        }
        return order[n - 1];
    }

    private static double[] softmax(float[] logits, Integer[] order, int n, float temperature) {
        double[] p = new double[n];
        double sum = 0, max = logits[order[0]];
        for (int i = 0; i < n; i++) sum += p[i] = Math.exp((logits[order[i]] - max) / temperature);
        for (int i = 0; i < n; i++) p[i] /= sum;
        return p;
    }
}
