import static dev.mica.bench.LlamaBenchMethod.check;
import static dev.mica.bench.LlamaBenchMethod.gen;
import static dev.mica.bench.LlamaBenchMethod.median;
import static dev.mica.bench.LlamaBenchMethod.prompt;

import dev.mica.api.backend.Batch;
import dev.mica.api.backend.ContextOptions;
import dev.mica.api.backend.InferenceContext;
import dev.mica.api.backend.LoadedModel;
import dev.mica.api.backend.ProgressListener;
import dev.mica.arch.llama.Llama;
import dev.mica.gguf.GgufFile;
import dev.mica.mlx.MlxBackend;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The MLX backend measured as JavaBench measures the Java backend (llama-bench's method): pp = one
 * decode of P tokens into an empty cache, logits of the last; tg = N one-token decodes from an empty
 * cache; one warm-up, -r timed runs, memory cleared before each. Prints llama-bench's JSON on stdout.
 *
 * <p>{@code --steps S --ctx C} instead times single decode steps after a C-token prompt, one per
 * sample (the KV grows from C to C+S−1): what bench/mlx_ref.c measures through mlx-c directly.
 * {@code --logits T} prints the first logits of token T decoded at position 0, for comparison with
 * mlx_ref's (same model, same token): the check that both compute the same thing.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp JARS bench/MlxBench.java --model m.gguf --libs /path/to/mlx/lib \
 *     [-p 512] [-n 128] [-r 5] | [--steps 16 --ctx 32]
 * </pre>
 * MLX picks its own CPU threads; there is no thread setting to pass.
 */
public final class MlxBench {
    record Result(String test, int nPrompt, int nGen, long[] samplesNs) {
        double[] ts() {
            return Arrays.stream(samplesNs).mapToDouble(ns -> (nPrompt + nGen) * 1e9 / ns).toArray();
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) o.put(args[i].replaceFirst("^-+", ""), args[i + 1]);
        Path model = Path.of(o.get("model"));
        int p = Integer.parseInt(o.getOrDefault("p", "512"));
        int n = Integer.parseInt(o.getOrDefault("n", "128"));
        int reps = Integer.parseInt(o.getOrDefault("r", "5"));
        int steps = Integer.parseInt(o.getOrDefault("steps", "0"));
        int ctx = Integer.parseInt(o.getOrDefault("ctx", "32"));

        GgufFile gguf = GgufFile.read(model);
        MlxBackend backend = new MlxBackend(o.get("libs"), List.of(new Llama()));
        System.err.println("backend mlx: " + backend.status().detail());
        if (!backend.status().available()) System.exit(1);
        List<Result> results = new ArrayList<>();
        String desc;
        long t0 = System.nanoTime();
        try (LoadedModel lm = backend.load(model, "bench", ProgressListener.NONE)) {
            System.err.printf(Locale.ROOT, "loaded in %.0f ms%n", (System.nanoTime() - t0) / 1e6);
            desc = lm.info().description();
            int vocab = lm.tokenizer().vocabSize();
            int[] bosOnly = lm.tokenizer().encode("", true, false);
            int bos = bosOnly.length > 0 ? bosOnly[0] : -1;
            Random rnd = new Random(1234);
            if (o.containsKey("logits")) {
                try (InferenceContext one = lm.newContext(new ContextOptions(8, 1, 1, 1, false, false))) {
                    Batch b = new Batch(1);
                    b.add(Integer.parseInt(o.get("logits")), 0, 0, true);
                    check(one.decode(b), "decode");
                    float[] l = one.logits(0).toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT);
                    System.out.printf(Locale.ROOT, "logits of token %s at position 0: %.6f %.6f %.6f %.6f%n", o.get("logits"), l[0], l[1], l[2], l[3]);
                }
                System.exit(0);
            }
            if (steps > 0) {
                results.add(steps(lm, ctx, steps, vocab, bos, rnd));
            } else {
                if (p > 0) results.add(run("pp" + p, lm, p, 0, reps, vocab, bos, rnd));
                if (n > 0) results.add(run("tg" + n, lm, 0, n, reps, vocab, bos, rnd));
            }
        }
        StringBuilder json = new StringBuilder("[\n");
        for (int i = 0; i < results.size(); i++) {
            Result r = results.get(i);
            double[] ts = r.ts();
            json.append("  {\"tool\": \"mica-mlx\", \"backend\": \"mlx\", \"test\": \"").append(r.test()).append("\", \"model_filename\": \"")
                    .append(model).append("\", \"model_type\": \"").append(desc).append("\", \"model_n_params\": ").append(gguf.parameterCount())
                    .append(", \"file_type\": \"").append(gguf.fileType()).append("\", \"n_threads\": 0")
                    .append(", \"n_prompt\": ").append(r.nPrompt()).append(", \"n_gen\": ").append(r.nGen())
                    .append(", \"samples_ns\": ").append(Arrays.toString(r.samplesNs()))
                    .append(", \"samples_ts\": ").append(Arrays.toString(ts))
                    .append(", \"median_ts\": ").append(median(ts)).append("}").append(i + 1 < results.size() ? ",\n" : "\n");
            System.err.printf(Locale.ROOT, "%-8s median %8.2f t/s (%.2f ms)  samples %s%n", r.test(), median(ts), 1e3 / median(ts),
                    Arrays.toString(Arrays.stream(ts).map(v -> Math.round(v * 100) / 100.0).toArray()));
        }
        System.out.print(json.append("]\n"));
        System.exit(0);   // the MLX thread is not a daemon
    }

    static Result run(String name, LoadedModel lm, int nPrompt, int nGen, int reps, int vocab, int bos, Random rnd) throws Exception {
        int nCtx = nPrompt + nGen;
        Batch batch = new Batch(Math.max(1, nPrompt));
        try (InferenceContext ctx = lm.newContext(new ContextOptions(nCtx, 1, Math.max(1, nPrompt), 1, false, false))) {
            if (nPrompt > 0) prompt(ctx, batch, nPrompt, vocab, bos, rnd);
            if (nGen > 0) gen(ctx, batch, 1, vocab, bos, rnd);
            long[] samples = new long[reps];
            for (int i = 0; i < reps; i++) {
                ctx.memory().clear();
                long t0 = System.nanoTime();
                if (nPrompt > 0) prompt(ctx, batch, nPrompt, vocab, bos, rnd);
                if (nGen > 0) gen(ctx, batch, nGen, vocab, bos, rnd);
                samples[i] = System.nanoTime() - t0;
            }
            return new Result(name, nPrompt, nGen, samples);
        }
    }

    /** One sample per decode step after a {@code ctx}-token prompt (the prompt untimed). */
    static Result steps(LoadedModel lm, int ctxTokens, int steps, int vocab, int bos, Random rnd) throws Exception {
        Batch batch = new Batch(ctxTokens);
        try (InferenceContext ctx = lm.newContext(new ContextOptions(ctxTokens + steps + 1, 1, ctxTokens, 1, false, false))) {
            prompt(ctx, batch, ctxTokens, vocab, bos, rnd);
            long[] samples = new long[steps];
            for (int i = 0; i < steps; i++) {
                batch.clear();
                batch.add(rnd.nextInt(vocab), ctxTokens + i, 0, true);
                long t0 = System.nanoTime();
                check(ctx.decode(batch), "decode");
                samples[i] = System.nanoTime() - t0;
            }
            return new Result("step@" + ctxTokens, 0, 1, samples);
        }
    }
}
