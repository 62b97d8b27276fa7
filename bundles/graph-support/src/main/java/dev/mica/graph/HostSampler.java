package dev.mica.graph;

import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.Constraint;
import dev.mica.api.backend.Sampler;
import dev.mica.api.backend.SamplingParams;
import dev.mica.graph.grammar.GrammarException;
import dev.mica.graph.grammar.TokenGrammar;
import dev.mica.graph.grammar.Vocabulary;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * Samples on the host from a copy of the logits, as llama.cpp's chain does, in its order:
 * repetition penalties over the last {@code repeat_last_n} tokens, then top-k, typical, top-p,
 * min-p, temperature and a seeded draw; with temperature 0, the most likely token after penalties
 * (greedy). Shared by the backends that compute the logits themselves (java, mlx).
 *
 * <p>With a grammar, as llama.cpp's common sampler does: the token is first chosen without it and
 * kept when the grammar allows it, which checks one token instead of the vocabulary; otherwise the
 * grammar masks every token it refuses and the choice is made again. Tokens fed through
 * {@link #accept} are the prompt, which the grammar does not describe; {@link #force}d ones are
 * the answer's, and move the grammar where it allows them.
 */
public final class HostSampler implements Sampler {
    /** A copy of one batch row's logits after the last decode. */
    @FunctionalInterface
    public interface Logits {
        float[] copy(int batchRow);
    }

    private final Object lock;
    private final Logits logits;
    private final SamplingParams params;
    private final int window;
    private final int[] history;
    private int historyStart;
    private int historySize;
    private final SplittableRandom random;
    /** Null without a constraint. */
    private final TokenGrammar grammar;
    private boolean closed;

    /**
     * @param lock the context's lock: sampling reads logits a concurrent decode would replace
     * @param contextLength what Ollama's repeat_last_n of -1 means: the whole context
     */
    public HostSampler(Object lock, Logits logits, int contextLength, SamplingParams params) {
        this(lock, logits, contextLength, params, (TokenGrammar) null);
    }

    private HostSampler(Object lock, Logits logits, int contextLength, SamplingParams params, TokenGrammar grammar) {
        params.requireUsable();
        this.grammar = grammar;
        this.lock = lock;
        this.logits = logits;
        this.params = params;
        this.window = params.repeatLastN() < 0 ? contextLength : params.repeatLastN();
        this.history = new int[Math.max(window, 0)];
        this.random = params.seed() == SamplingParams.RANDOM_SEED ? new SplittableRandom() : new SplittableRandom(params.seed());
    }

    /**
     * A sampler under {@code constraint} (null: none).
     *
     * @param vocabulary the model's tokens, asked for only when there is a grammar
     * @throws BackendException for a grammar that cannot be parsed or used
     */
    public static HostSampler of(Object lock, Logits logits, int contextLength, SamplingParams params, Constraint constraint,
                                 Supplier<Vocabulary> vocabulary) throws BackendException {
        return switch (constraint) {
            case null -> new HostSampler(lock, logits, contextLength, params);
            case Constraint.Grammar(String gbnf, String root) -> {
                try {
                    TokenGrammar g = TokenGrammar.compile(gbnf, root == null || root.isBlank() ? "root" : root, vocabulary.get());
                    yield new HostSampler(lock, logits, contextLength, params, g);
                } catch (GrammarException e) {
                    throw new BackendException("invalid GBNF grammar: " + e.getMessage(), e);
                }
            }
        };
    }

    @Override
    public int sample(int batchRow) {
        synchronized (lock) {
            if (closed) throw new IllegalStateException("the sampler is closed");
            float[] logits = this.logits.copy(batchRow);
            penalize(logits);
            int token = choose(logits);
            if (grammar != null) {
                if (!grammar.allows(token)) {
                    if (!grammar.mask(logits)) throw new IllegalStateException("the grammar allows no token here");
                    token = choose(logits);
                }
                grammar.accept(token);
            }
            remember(token);
            return token;
        }
    }

    @Override
    public void accept(int token) {
        synchronized (lock) {
            if (closed) throw new IllegalStateException("the sampler is closed");
            remember(token);
        }
    }

    @Override
    public void force(int token) {
        synchronized (lock) {
            if (closed) throw new IllegalStateException("the sampler is closed");
            if (grammar != null && grammar.allows(token)) grammar.accept(token);
            remember(token);
        }
    }

    @Override
    public void reset() {
        synchronized (lock) {
            historyStart = historySize = 0;
            if (grammar != null) grammar.reset();
        }
    }

    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
        }
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
        boolean active = window > 0 && (params.repeatPenalty() != 1f || params.frequencyPenalty() != 0f || params.presencePenalty() != 0f);
        if (!active || historySize == 0) return;
        Map<Integer, Integer> counts = new HashMap<>();
        for (int i = 0; i < historySize; i++) counts.merge(history[(historyStart + i) % window], 1, Integer::sum);
        for (Map.Entry<Integer, Integer> e : counts.entrySet()) {
            int t = e.getKey(), count = e.getValue();
            if (t < 0 || t >= logits.length) continue;
            float l = logits[t];
            l = l <= 0 ? l * params.repeatPenalty() : l / params.repeatPenalty();
            logits[t] = l - count * params.frequencyPenalty() - params.presencePenalty();
        }
    }

    private int choose(float[] logits) {
        return params.temperature() <= 0f ? argmax(logits) : draw(logits);
    }

    private static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    /** The candidates, best first, narrowed stage by stage; then temperature and a draw. */
    private int draw(float[] logits) {
        int[] ids = sortedIds(logits, params.topK());
        int n = ids.length;
        float[] l = new float[n];
        for (int i = 0; i < n; i++) l[i] = logits[ids[i]];
        // tokens a grammar masked out must not come back through a rounding in the draw below
        while (n > 1 && l[n - 1] == Float.NEGATIVE_INFINITY) n--;

        if (params.typicalP() > 0f && params.typicalP() < 1f) n = typical(ids, l, n, params.typicalP());
        if (params.topP() < 1f) {
            float[] p = softmax(l, n, 1f);
            double cum = 0;
            int keep = n;
            for (int i = 0; i < n; i++) {
                cum += p[i];
                if (cum >= params.topP()) {
                    keep = i + 1;
                    break;
                }
            }
            n = keep;
        }
        if (params.minP() > 0f) {
            float bound = l[0] + (float) Math.log(params.minP());
            int keep = 1;
            while (keep < n && l[keep] >= bound) keep++;
            n = keep;
        }
        float[] p = softmax(l, n, params.temperature());
        double r = random.nextDouble(), cum = 0;
        for (int i = 0; i < n; i++) {
            cum += p[i];
            if (r < cum) return ids[i];
        }
        return ids[n - 1];
    }

    /** Ids by logit, descending; only the best k when k > 0. */
    private static int[] sortedIds(float[] logits, int k) {
        int v = logits.length;
        long[] keys = new long[v];
        for (int i = 0; i < v; i++) {
            int bits = Float.floatToIntBits(logits[i]);
            int sortable = bits >= 0 ? bits : bits ^ 0x7FFFFFFF;    // orders like the floats
            keys[i] = ((long) ~sortable << 32) | i;                   // descending, ties by id
        }
        Arrays.sort(keys);
        int n = k > 0 ? Math.min(k, v) : v;
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = (int) keys[i];
        return ids;
    }

    private static float[] softmax(float[] l, int n, float temperature) {
        float[] p = new float[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            p[i] = (float) Math.exp((l[i] - l[0]) / temperature);
            sum += p[i];
        }
        for (int i = 0; i < n; i++) p[i] /= (float) sum;
        return p;
    }

    /** Locally typical sampling: keeps the tokens whose surprise is closest to the entropy, up to mass p. */
    private static int typical(int[] ids, float[] l, int n, float mass) {
        float[] p = softmax(l, n, 1f);
        double entropy = 0;
        for (int i = 0; i < n; i++) if (p[i] > 0) entropy -= p[i] * Math.log(p[i]);
        Integer[] order = new Integer[n];
        double[] shift = new double[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
            shift[i] = Math.abs(-Math.log(p[i]) - entropy);
        }
        Arrays.sort(order, (a, b) -> Double.compare(shift[a], shift[b]));
        double cum = 0;
        int keep = n;
        for (int i = 0; i < n; i++) {
            cum += p[order[i]];
            if (cum > mass) {
                keep = i + 1;
                break;
            }
        }
        int[] keptIds = new int[keep];
        float[] keptL = new float[keep];
        for (int i = 0; i < keep; i++) {
            keptIds[i] = ids[order[i]];
            keptL[i] = l[order[i]];
        }
        // back in logit order, so the later stages see the best first
        Integer[] byLogit = new Integer[keep];
        for (int i = 0; i < keep; i++) byLogit[i] = i;
        Arrays.sort(byLogit, (a, b) -> Float.compare(keptL[b], keptL[a]));
        for (int i = 0; i < keep; i++) {
            ids[i] = keptIds[byLogit[i]];
            l[i] = keptL[byLogit[i]];
        }
        return keep;
    }
}
