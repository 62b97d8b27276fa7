package dev.mica.bench;

import static dev.mica.bench.LlamaBenchMethod.gen;
import static dev.mica.bench.LlamaBenchMethod.median;
import static dev.mica.bench.LlamaBenchMethod.prompt;

import dev.mica.api.backend.Backend;
import dev.mica.api.backend.BackendStatus;
import dev.mica.api.backend.Batch;
import dev.mica.api.backend.ContextOptions;
import dev.mica.api.backend.InferenceContext;
import dev.mica.api.backend.LoadOptions;
import dev.mica.api.backend.LoadedModel;
import dev.mica.api.backend.ProgressListener;
import dev.mica.api.model.ModelDescriptor;
import dev.mica.gguf.GgufFile;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * mica's counterpart of llama.cpp's {@code llama-bench}: prompt processing and generation speed of a
 * model through the GGML backend's {@link InferenceContext#decode(Batch)}, measured exactly as
 * llama-bench measures them (tools/llama-bench/llama-bench.cpp, llama.cpp de3ff81):
 * <ul>
 *   <li>{@code -p P -n N} are two tests, each with its own context: pp (a prompt of P tokens) with
 *       n_ctx = P, and tg (N generated tokens) with n_ctx = N. n_batch 2048, n_ubatch 512, F16 KV,
 *       flash attention auto, one sequence: llama-bench's defaults, which are libllama's.</li>
 *   <li>pp: one decode of the P tokens into an empty cache (P ≤ n_batch), logits of the last token
 *       only; the first token is BOS when the model adds one, the others random.</li>
 *   <li>tg: N decodes of one token each into an empty cache, each wanting logits; BOS first, then
 *       random tokens.</li>
 *   <li>One warm-up (pp: a full prompt run; tg: one token), then {@code -r} timed repetitions, the
 *       memory cleared before each. Tokens/s of a run = tokens / its wall time.</li>
 * </ul>
 *
 * Output: a JSON array on stdout shaped like llama-bench's {@code -o json} (n_prompt, n_gen,
 * n_threads, samples_ns, samples_ts, avg_ts, stddev_ts, plus median_ts), and a summary on stderr.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp ... dev.mica.bench.GgmlBench \
 *     --model m.gguf --libs native/target/natives/linux-x64 [-p 512] [-n 128] [-t 2] [-r 5]
 *     [--backend-class dev.mica.ggml.GgmlBackend]
 * </pre>
 *
 * The backend is bundle-ggml's {@link Backend} implementation, created directly (no OSGi): the class
 * named by {@code --backend-class}, or else the one class in {@code dev.mica.ggml..} on the class
 * path that implements Backend. It gets the library folder through whichever it takes: a constructor
 * (Path) or (String); else a no-arg constructor and then {@code start(String)} (GgmlBackend's, which its
 * OSGi {@code activate} calls with the framework property {@code mica.llama.path}), {@code activate(Map)}
 * or {@code activate(BundleContext or config annotation)}; the system property {@code mica.llama.path}
 * is set in any case.
 */
public final class GgmlBench {

    private GgmlBench() {}

    record Result(String test, int nPrompt, int nGen, int nCtx, long[] samplesNs) {
        double[] ts() {
            int tokens = nPrompt + nGen;
            return Arrays.stream(samplesNs).mapToDouble(ns -> tokens * 1e9 / ns).toArray();
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = parse(args);
        Path model = Path.of(require(o, "model"));
        Path libs = Path.of(require(o, "libs")).toAbsolutePath();
        int p = Integer.parseInt(o.getOrDefault("p", "512"));
        int n = Integer.parseInt(o.getOrDefault("n", "128"));
        int threads = Integer.parseInt(o.getOrDefault("t", String.valueOf(physicalCores())));
        int reps = Integer.parseInt(o.getOrDefault("r", "5"));
        boolean warmup = !o.containsKey("no-warmup");
        int nBatch = 2048;
        if (p > nBatch) throw new IllegalArgumentException("-p " + p + " above n_batch " + nBatch + ": llama-bench would split it; not mirrored");

        GgufFile gguf = GgufFile.read(model);
        Backend backend = createBackend(o.get("backend-class"), libs);
        BackendStatus status = backend.status();
        if (!status.available()) throw new IllegalStateException("backend " + backend.id() + " unavailable: " + status.detail());
        System.err.printf(Locale.ROOT, "backend %s (%s): %s%n", backend.id(), backend.getClass().getName(), status.detail());

        ModelDescriptor md = new ModelDescriptor("bench", "gguf", model, null, Files.size(model), Instant.now(), null, null,
                Map.of(), List.of(), backend.id());
        List<Result> results = new ArrayList<>();
        String desc;
        try (LoadedModel lm = backend.load(md, new LoadOptions(-1, true, threads), ProgressListener.NONE)) {
            desc = lm.info().description();
            int vocab = lm.tokenizer().vocabSize();
            int[] bosOnly = lm.tokenizer().encode("", true, false);
            int bos = bosOnly.length > 0 ? bosOnly[0] : -1;
            Random rnd = new Random(1234);
            if (p > 0) results.add(run("pp" + p, lm, p, 0, threads, nBatch, reps, warmup, vocab, bos, rnd));
            if (n > 0) results.add(run("tg" + n, lm, 0, n, threads, nBatch, reps, warmup, vocab, bos, rnd));
        }

        StringBuilder json = new StringBuilder("[\n");
        for (int i = 0; i < results.size(); i++) {
            Result r = results.get(i);
            double[] ts = r.ts();
            json.append("  {\n")
                    .append("    \"tool\": \"mica\",\n")
                    .append("    \"backend\": \"").append(esc(backend.id())).append("\",\n")
                    .append("    \"libs\": \"").append(esc(libs.toString())).append("\",\n")
                    .append("    \"model_filename\": \"").append(esc(model.toString())).append("\",\n")
                    .append("    \"model_type\": \"").append(esc(desc)).append("\",\n")
                    .append("    \"model_n_params\": ").append(gguf.parameterCount()).append(",\n")
                    .append("    \"file_type\": \"").append(esc(String.valueOf(gguf.fileType()))).append("\",\n")
                    .append("    \"n_batch\": ").append(nBatch).append(",\n")
                    .append("    \"n_ubatch\": 512,\n")
                    .append("    \"n_ctx\": ").append(r.nCtx()).append(",\n")
                    .append("    \"n_threads\": ").append(threads).append(",\n")
                    .append("    \"n_prompt\": ").append(r.nPrompt()).append(",\n")
                    .append("    \"n_gen\": ").append(r.nGen()).append(",\n")
                    .append("    \"avg_ns\": ").append((long) mean(r.samplesNs())).append(",\n")
                    .append("    \"samples_ns\": ").append(Arrays.toString(r.samplesNs())).append(",\n")
                    .append("    \"samples_ts\": ").append(Arrays.toString(ts)).append(",\n")
                    .append("    \"avg_ts\": ").append(mean(ts)).append(",\n")
                    .append("    \"stddev_ts\": ").append(stddev(ts)).append(",\n")
                    .append("    \"median_ts\": ").append(median(ts)).append("\n")
                    .append("  }").append(i + 1 < results.size() ? ",\n" : "\n");
            System.err.printf(Locale.ROOT, "%-6s mean %8.2f ± %6.2f t/s, median %8.2f t/s (%d reps, %d threads, n_ctx %d)%n",
                    r.test(), mean(ts), stddev(ts), median(ts), ts.length, threads, r.nCtx());
        }
        System.out.print(json.append("]\n"));
        System.out.flush();
    }

    /** One llama-bench test: its own context, a warm-up, then {@code reps} timed runs from an empty cache. */
    static Result run(String name, LoadedModel lm, int nPrompt, int nGen, int threads, int nBatch, int reps, boolean warmup,
                      int vocab, int bos, Random rnd) throws Exception {
        int nCtx = nPrompt + nGen;
        Batch batch = new Batch(Math.max(1, Math.min(nBatch, Math.max(nPrompt, 1))));
        try (InferenceContext ctx = lm.newContext(new ContextOptions(nCtx, 1, nBatch, threads, false, false))) {
            if (warmup) {
                if (nPrompt > 0) prompt(ctx, batch, nPrompt, vocab, bos, rnd);
                if (nGen > 0) gen(ctx, batch, 1, vocab, bos, rnd);
            }
            long[] samples = new long[reps];
            for (int i = 0; i < reps; i++) {
                ctx.memory().clear();
                long t0 = System.nanoTime();
                if (nPrompt > 0) prompt(ctx, batch, nPrompt, vocab, bos, rnd);
                if (nGen > 0) gen(ctx, batch, nGen, vocab, bos, rnd);
                samples[i] = System.nanoTime() - t0;
            }
            return new Result(name, nPrompt, nGen, nCtx, samples);
        }
    }

    // ---------------------------------------------------------------- the backend, outside OSGi

    static Backend createBackend(String className, Path libs) throws Exception {
        System.setProperty("mica.llama.path", libs.toString());
        Class<?> c = className != null ? Class.forName(className) : findBackendClass();
        for (Class<?>[] sig : List.<Class<?>[]>of(new Class<?>[] {Path.class}, new Class<?>[] {String.class})) {
            try {
                Constructor<?> k = c.getConstructor(sig);
                return (Backend) k.newInstance(sig[0] == Path.class ? libs : libs.toString());
            } catch (NoSuchMethodException e) {
                // next
            }
        }
        Constructor<?> k = c.getDeclaredConstructor();
        k.setAccessible(true);
        Object b = k.newInstance();
        // GgmlBackend has start(String folder), which its OSGi activate(BundleContext) calls with mica.llama.path
        for (Class<?> t : List.<Class<?>>of(String.class, Path.class)) {
            try {
                Method m = c.getDeclaredMethod("start", t);
                m.setAccessible(true);
                m.invoke(b, t == String.class ? libs.toString() : libs);
                return (Backend) b;
            } catch (NoSuchMethodException e) {
                // next
            }
        }
        for (Method m : c.getDeclaredMethods()) {
            if (!m.getName().equals("activate") || m.getParameterCount() != 1) continue;
            m.setAccessible(true);
            Class<?> t = m.getParameterTypes()[0];
            if (Map.class.isAssignableFrom(t)) {
                m.invoke(b, Map.of("mica.llama.path", libs.toString()));
            } else if (t.isInterface()) {
                m.invoke(b, config(t, libs));   // a config annotation, or a BundleContext answering getProperty
            } else {
                continue;
            }
            break;
        }
        return (Backend) b;
    }

    /** A DS configuration object: methods about a path or llama return the folder, the rest their defaults. */
    private static Object config(Class<?> type, Path libs) {
        return Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, m, a) -> {
            String n = m.getName().toLowerCase(Locale.ROOT);
            if (m.getDeclaringClass() == Object.class) {
                return switch (m.getName()) {
                    case "toString" -> "bench config for " + type.getName();
                    case "hashCode" -> 0;
                    case "equals" -> proxy == a[0];
                    default -> null;
                };
            }
            if (m.getReturnType() == String.class && (n.contains("path") || n.contains("llama") || n.contains("lib"))) return libs.toString();
            if (n.equals("getproperty") && a != null && a.length == 1 && String.valueOf(a[0]).contains("llama")) return libs.toString();
            Object d = m.getDefaultValue();
            if (d != null) return d;
            Class<?> r = m.getReturnType();
            if (r == boolean.class) return false;
            if (r == int.class) return 0;
            if (r == long.class) return 0L;
            if (r == double.class) return 0.0;
            if (r == float.class) return 0f;
            if (r.isArray()) return java.lang.reflect.Array.newInstance(r.getComponentType(), 0);
            return null;
        });
    }

    /** The one concrete public Backend in package dev.mica.ggml or below, on the class path. */
    static Class<?> findBackendClass() throws IOException, URISyntaxException {
        List<Class<?>> found = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path e = Path.of(entry);
            List<String> names = new ArrayList<>();
            if (Files.isDirectory(e.resolve("dev/mica/ggml"))) {
                try (Stream<Path> s = Files.walk(e.resolve("dev/mica/ggml"))) {
                    s.filter(f -> f.toString().endsWith(".class")).forEach(f -> names.add(e.relativize(f).toString()));
                }
            } else if (entry.endsWith(".jar") && Files.isRegularFile(e)) {
                try (JarFile j = new JarFile(e.toFile())) {
                    j.stream().map(java.util.zip.ZipEntry::getName)
                            .filter(nm -> nm.startsWith("dev/mica/ggml/") && nm.endsWith(".class")).forEach(names::add);
                }
            }
            for (String nm : names) {
                String cn = nm.substring(0, nm.length() - 6).replace('/', '.').replace(java.io.File.separatorChar, '.');
                if (cn.contains("$")) continue;
                try {
                    Class<?> c = Class.forName(cn, false, GgmlBench.class.getClassLoader());
                    if (Backend.class.isAssignableFrom(c) && !c.isInterface() && !Modifier.isAbstract(c.getModifiers())
                            && Modifier.isPublic(c.getModifiers())) {
                        found.add(c);
                    }
                } catch (LinkageError | ClassNotFoundException ignored) {
                    // classes needing OSGi at link time are not backends we can use
                }
            }
        }
        if (found.size() != 1) {
            throw new IllegalStateException(found.isEmpty()
                    ? "no dev.mica.api.backend.Backend implementation in dev.mica.ggml on the class path: is mica-bundle-ggml built?"
                    : "several Backend implementations " + found + ": pick one with --backend-class");
        }
        return found.get(0);
    }

    // ---------------------------------------------------------------- small things

    /** Distinct (physical id, core id) pairs of /proc/cpuinfo, as llama-bench's default thread count; else all CPUs. */
    static int physicalCores() {
        try {
            java.util.Set<String> cores = new java.util.HashSet<>();
            String phys = "0";
            for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (l.startsWith("physical id")) phys = l.substring(l.indexOf(':') + 1).trim();
                if (l.startsWith("core id")) cores.add(phys + "/" + l.substring(l.indexOf(':') + 1).trim());
            }
            if (!cores.isEmpty()) return cores.size();
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        return Runtime.getRuntime().availableProcessors();
    }

    static double mean(long[] v) {
        return Arrays.stream(v).average().orElse(0);
    }

    static double mean(double[] v) {
        return Arrays.stream(v).average().orElse(0);
    }

    static double stddev(double[] v) {
        if (v.length < 2) return 0;
        double m = mean(v), s = 0;
        for (double x : v) s += (x - m) * (x - m);
        return Math.sqrt(s / (v.length - 1));
    }


    private static String esc(String s) {
        return s == null ? "" : s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    private static String require(Map<String, String> o, String k) {
        String v = o.get(k);
        if (v == null) throw new IllegalArgumentException("--" + k + " is required");
        return v;
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> o = new java.util.HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("-")) throw new IllegalArgumentException("unexpected argument " + a);
            String k = a.replaceFirst("^--?", "");
            if (k.equals("no-warmup")) {
                o.put(k, "true");
                continue;
            }
            if (i + 1 >= args.length) throw new IllegalArgumentException(a + " needs a value");
            o.put(k, args[++i]);
        }
        return o;
    }
}
