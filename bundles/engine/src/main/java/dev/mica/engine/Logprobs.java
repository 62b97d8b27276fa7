package dev.mica.engine;

import dev.mica.api.backend.Tokenizer;
import dev.mica.api.inference.GenerationEvent.Logprob;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Log-probabilities of the model's own distribution (a log-softmax of the raw logits, before any
 * sampling stage), as Ollama and OpenAI report them: the chosen token's, and the most likely
 * alternatives. One pass over the vocabulary for the normaliser and a small insertion-sorted
 * top list; only sequences that asked for log-probabilities pay for it.
 */
final class Logprobs {
    private Logprobs() {}

    static Logprob of(MemorySegment logits, int vocab, int token, int top, Tokenizer tokenizer) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) max = Math.max(max, logits.getAtIndex(ValueLayout.JAVA_FLOAT, i));
        double sum = 0;
        int[] best = new int[top];
        float[] bestLogit = new float[top];
        int found = 0;
        for (int i = 0; i < vocab; i++) {
            float l = logits.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            sum += Math.exp(l - max);
            if (top > 0 && (found < top || l > bestLogit[found - 1])) {
                int at = Math.min(found, top - 1);
                while (at > 0 && bestLogit[at - 1] < l) {
                    best[at] = best[at - 1];
                    bestLogit[at] = bestLogit[at - 1];
                    at--;
                }
                best[at] = i;
                bestLogit[at] = l;
                if (found < top) found++;
            }
        }
        double logZ = max + Math.log(sum);
        List<Logprob> alternatives = new ArrayList<>(found);
        for (int k = 0; k < found; k++) alternatives.add(entry(best[k], bestLogit[k] - logZ, List.of(), tokenizer));
        return entry(token, logits.getAtIndex(ValueLayout.JAVA_FLOAT, token) - logZ, alternatives, tokenizer);
    }

    private static Logprob entry(int token, double logprob, List<Logprob> top, Tokenizer tokenizer) {
        byte[] bytes = tokenizer.piece(token);
        return new Logprob(new String(bytes, StandardCharsets.UTF_8), logprob, bytes, top);
    }
}
