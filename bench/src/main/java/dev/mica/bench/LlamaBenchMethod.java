package dev.mica.bench;

import dev.mica.api.backend.Batch;
import dev.mica.api.backend.DecodeResult;
import dev.mica.api.backend.InferenceContext;
import java.util.Arrays;
import java.util.Random;

/**
 * llama-bench's two tests through the backend contract, for every mica backend's bench driver
 * (GgmlBench here; JavaBench.java and MlxBench.java beside the scripts), so all measure alike.
 */
public final class LlamaBenchMethod {
    private LlamaBenchMethod() {}

    /** llama-bench's test_prompt for n ≤ n_batch: one decode, logits of the last token (llama_batch_get_one). */
    public static void prompt(InferenceContext ctx, Batch batch, int n, int vocab, int bos, Random rnd) throws Exception {
        batch.clear();
        for (int i = 0; i < n; i++) {
            int tok = i == 0 && bos >= 0 ? bos : rnd.nextInt(vocab);
            batch.add(tok, i, 0, i == n - 1);
        }
        check(ctx.decode(batch), "prompt");
    }

    /** llama-bench's test_gen: n one-token decodes, each with its logits. */
    public static void gen(InferenceContext ctx, Batch batch, int n, int vocab, int bos, Random rnd) throws Exception {
        int tok = bos >= 0 ? bos : rnd.nextInt(vocab);
        int pos = ctx.memory().maxPosition(0) + 1;
        for (int i = 0; i < n; i++) {
            batch.clear();
            batch.add(tok, pos + i, 0, true);
            check(ctx.decode(batch), "generation");
            tok = rnd.nextInt(vocab);
        }
    }

    public static void check(DecodeResult r, String what) {
        if (r != DecodeResult.OK) throw new IllegalStateException(what + " decode returned " + r);
    }

    public static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int k = s.length;
        return k == 0 ? 0 : k % 2 == 1 ? s[k / 2] : (s[k / 2 - 1] + s[k / 2]) / 2;
    }
}
