import static dev.mica.bench.LlamaBenchMethod.gen;
import static dev.mica.bench.LlamaBenchMethod.median;
import static dev.mica.bench.LlamaBenchMethod.prompt;

import dev.mica.api.backend.Batch;
import dev.mica.api.backend.ContextOptions;
import dev.mica.api.backend.InferenceContext;
import dev.mica.api.backend.LoadOptions;
import dev.mica.api.backend.LoadedModel;
import dev.mica.api.backend.ProgressListener;
import dev.mica.arch.llama.Llama;
import dev.mica.backend.java.JavaBackend;
import dev.mica.backend.java.Numerics;
import dev.mica.gguf.GgufFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The Java backend measured as llama-bench measures llama.cpp (tools/llama-bench, de3ff81), and as
 * bench's GgmlBench measures the GGML backend: pp = one decode of P tokens into an empty cache
 * (n_ctx = P, logits of the last token only); tg = N one-token decodes from an empty cache
 * (n_ctx = N, logits each); one warm-up, then -r timed runs with the memory cleared before each.
 * Prints llama-bench's JSON (-o json) on stdout and a summary on stderr.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp JARS bench/JavaBench.java \
 *     --model m.gguf [-p 512] [-n 128] [-t 2] [-r 5]
 * </pre>
 * A single-file program (the JDK compiles it at launch): bench/java-bench.sh builds the class path
 * from the Java backend's and arch-llama's jars.
 */
public final class JavaBench {
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
        int threads = Integer.parseInt(o.getOrDefault("t", String.valueOf(Runtime.getRuntime().availableProcessors())));
        int reps = Integer.parseInt(o.getOrDefault("r", "5"));

        GgufFile gguf = GgufFile.read(model);
        JavaBackend backend = new JavaBackend(List.of(new Llama()), Numerics.EXACT);
        System.err.println("backend java: " + backend.status().detail());
        List<Result> results = new ArrayList<>();
        String desc;
        long t0 = System.nanoTime();
        try (LoadedModel lm = backend.load(model, "bench", new LoadOptions(-1, true, threads), ProgressListener.NONE)) {
            System.err.printf(Locale.ROOT, "loaded in %.0f ms%n", (System.nanoTime() - t0) / 1e6);
            desc = lm.info().description();
            int vocab = lm.tokenizer().vocabSize();
            int[] bosOnly = lm.tokenizer().encode("", true, false);
            int bos = bosOnly.length > 0 ? bosOnly[0] : -1;
            Random rnd = new Random(1234);
            if (p > 0) results.add(run("pp" + p, lm, p, 0, threads, reps, vocab, bos, rnd));
            if (n > 0) results.add(run("tg" + n, lm, 0, n, threads, reps, vocab, bos, rnd));
        }
        StringBuilder json = new StringBuilder("[\n");
        for (int i = 0; i < results.size(); i++) {
            Result r = results.get(i);
            double[] ts = r.ts();
            json.append("  {\"tool\": \"mica-java\", \"backend\": \"java\", \"model_filename\": \"").append(model)
                    .append("\", \"model_type\": \"").append(desc).append("\", \"model_n_params\": ").append(gguf.parameterCount())
                    .append(", \"file_type\": \"").append(gguf.fileType()).append("\", \"n_threads\": ").append(threads)
                    .append(", \"n_prompt\": ").append(r.nPrompt()).append(", \"n_gen\": ").append(r.nGen())
                    .append(", \"samples_ns\": ").append(Arrays.toString(r.samplesNs()))
                    .append(", \"samples_ts\": ").append(Arrays.toString(ts))
                    .append(", \"avg_ts\": ").append(Arrays.stream(ts).average().orElse(0))
                    .append(", \"median_ts\": ").append(median(ts)).append("}").append(i + 1 < results.size() ? ",\n" : "\n");
            System.err.printf(Locale.ROOT, "%-6s median %8.2f t/s  samples %s%n", r.test(), median(ts),
                    Arrays.toString(Arrays.stream(ts).map(v -> Math.round(v * 100) / 100.0).toArray()));
        }
        System.out.print(json.append("]\n"));
    }

    static Result run(String name, LoadedModel lm, int nPrompt, int nGen, int threads, int reps, int vocab, int bos, Random rnd)
            throws Exception {
        int nCtx = nPrompt + nGen;
        Batch batch = new Batch(Math.max(1, nPrompt));
        try (InferenceContext ctx = lm.newContext(new ContextOptions(nCtx, 1, Math.max(1, nPrompt), threads, false, false))) {
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
}
