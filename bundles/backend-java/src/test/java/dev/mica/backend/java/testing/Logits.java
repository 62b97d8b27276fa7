package dev.mica.backend.java.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.Batch;
import dev.mica.api.backend.ContextOptions;
import dev.mica.api.backend.DecodeResult;
import dev.mica.api.backend.InferenceContext;
import dev.mica.api.backend.LoadedModel;
import dev.mica.api.backend.Sampler;
import dev.mica.api.backend.SamplingParams;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/** Runs the same token batches through two models and measures how far their logits are apart. */
public final class Logits {
    private Logits() {}

    /**
     * The logits of every token of {@code chunks}, decoded one chunk per batch into sequence 0
     * (several tokens per batch exercise the prompt path, single tokens the decode path).
     */
    public static List<float[]> run(LoadedModel model, int[][] chunks) throws BackendException {
        List<float[]> rows = new ArrayList<>();
        try (InferenceContext context = model.newContext(new ContextOptions(256, 1, 128, 1, false, true))) {
            int position = 0;
            for (int[] chunk : chunks) {
                Batch batch = new Batch(chunk.length);
                for (int t : chunk) batch.add(t, position++, 0, true);
                assertEquals(DecodeResult.OK, context.decode(batch));
                for (int r = 0; r < chunk.length; r++) rows.add(context.logits(r).toArray(ValueLayout.JAVA_FLOAT));
            }
        }
        return rows;
    }

    /** The worst, over rows, of {@code max|a − b| / max|b|}: the error relative to the logits' scale. */
    public static double relativeError(List<float[]> a, List<float[]> b) {
        assertEquals(b.size(), a.size(), "rows");
        double worst = 0;
        for (int r = 0; r < a.size(); r++) {
            float[] x = a.get(r), y = b.get(r);
            assertEquals(y.length, x.length, "vocabulary");
            double diff = 0, scale = 0;
            for (int i = 0; i < x.length; i++) {
                diff = Math.max(diff, Math.abs(x[i] - y[i]));
                scale = Math.max(scale, Math.abs(y[i]));
            }
            worst = Math.max(worst, diff / scale);
        }
        return worst;
    }

    /** The worst, over rows, of {@code ‖a − b‖₂ / ‖b‖₂}. */
    public static double relativeL2(List<float[]> a, List<float[]> b) {
        double worst = 0;
        for (int r = 0; r < a.size(); r++) {
            float[] x = a.get(r), y = b.get(r);
            double diff = 0, norm = 0;
            for (int i = 0; i < x.length; i++) {
                diff += (x[i] - y[i]) * (double) (x[i] - y[i]);
                norm += (double) y[i] * y[i];
            }
            worst = Math.max(worst, Math.sqrt(diff / norm));
        }
        return worst;
    }

    /** Whether each row's most likely token is the same. */
    public static int argmaxAgreement(List<float[]> a, List<float[]> b) {
        int same = 0;
        for (int r = 0; r < a.size(); r++) if (argmax(a.get(r)) == argmax(b.get(r))) same++;
        return same;
    }

    public static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    /** Greedy generation after a prompt: the token ids. */
    public static int[] greedy(LoadedModel model, int[] prompt, int count) throws BackendException {
        try (InferenceContext context = model.newContext(new ContextOptions(256, 1, 128, 1, false, true));
             Sampler sampler = context.sampler(SamplingParams.GREEDY, null)) {
            Batch batch = new Batch(prompt.length);
            for (int i = 0; i < prompt.length; i++) batch.add(prompt[i], i, 0, i == prompt.length - 1);
            assertEquals(DecodeResult.OK, context.decode(batch));
            int row = prompt.length - 1;
            int[] out = new int[count];
            Batch one = new Batch(1);
            for (int i = 0; i < count; i++) {
                out[i] = sampler.sample(row);
                one.clear();
                row = one.add(out[i], prompt.length + i, 0, true);
                assertEquals(DecodeResult.OK, context.decode(one));
            }
            return out;
        }
    }
}
