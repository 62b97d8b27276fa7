package dev.mica.mlx;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.mica.mlx.ffm.Mlx;
import dev.mica.mlx.ffm.MlxException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The fused NVFP4 expert matmul for MoE prefill: {@code out[r] = x[r] · W[indices[r]]ᵀ} over rows
 * sorted by expert, weights in MLX's nvfp4 layout (uint32 words of E2M1 nibbles, E4M3 scales per 16
 * values), dequantized tile by tile into threadgroup/shared memory. Kernel sources are resources
 * ({@code kernels/nvfp4_expert_matmul.metal}, {@code .cu}), compiled by MLX at run time through
 * {@code mlx_fast_metal_kernel_*} / {@code mlx_fast_cuda_kernel_*}. Three variants: Metal 4 tensor
 * ops ({@code mpp::tensor_ops::matmul2d}, for the M5's neural accelerators), 8×8 {@code simdgroup_matrix}
 * (older Apple GPUs), CUDA WMMA (sm_80+).
 *
 * <p>Only on a GPU route: {@link MlxRuntime} makes one only when MLX runs on Metal or CUDA, and
 * {@link #start} checks the variant on the device against MLX's own {@code gather_qmm} before it is
 * used. NEVER EXECUTED on the machines this was written on (Linux, CPU-only MLX): what ran here is the
 * launch arithmetic, the sources' well-formedness, an nvcc compile of the CUDA source, and a Java
 * reference of the algorithm against MLX on the CPU (see README.md). The MLX thread only.
 */
final class ExpertKernel implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.mica.mlx");

    /** Tile rows (of x / out), tile columns (of out: weight rows), the K slice, threads per group. */
    static final int BM = 32, BN = 32, BK = 32, THREADS = 128;
    /** Below this many (token, expert) rows a step is decode-like: MLX's gather_qmm serves it. */
    static final int MIN_ROWS = 64;
    static final List<String> INPUTS = List.of("x", "w", "scales", "indices");
    static final List<String> OUTPUTS = List.of("out");

    enum Variant {
        TENSOR_OPS("tensor ops", "metal", List.of("common", "tensor_ops")),
        SIMDGROUP("simdgroup", "metal", List.of("common")),
        CUDA("cuda", "cu", List.of("cuda"));

        final String label;
        final String extension;
        final List<String> headers;

        Variant(String label, String extension, List<String> headers) {
            this.label = label;
            this.extension = extension;
            this.headers = headers;
        }

        boolean metal() {
            return this != CUDA;
        }

        /** The section of the resource holding this variant's body. */
        String body() {
            return name().toLowerCase(Locale.ROOT);
        }

        String kernelName() {
            return "mica_nvfp4_experts_" + body();
        }
    }

    /** Where MLX computes, as far as choosing a variant goes. */
    enum Gpu { NONE, METAL, CUDA }

    /**
     * The variants to try, best first: on Metal the tensor-ops one where the neural accelerators can
     * be in use ({@link Metal#naxPossible}: generation ≥ 17, macOS ≥ 26.2), then the simdgroup one; on
     * CUDA the WMMA one from sm_80; none on the CPU.
     */
    static List<Variant> candidates(Gpu gpu, Map<String, String> info, String osName, String osVersion) {
        return switch (gpu) {
            case NONE -> List.of();
            case METAL -> Metal.naxPossible(info.get("architecture"), osName, osVersion) ? List.of(Variant.TENSOR_OPS, Variant.SIMDGROUP)
                    : List.of(Variant.SIMDGROUP);
            case CUDA -> smVersion(info) >= 80 ? List.of(Variant.CUDA) : List.of();
        };
    }

    /** "sm_89" → 89 (MLX's CUDA device_info "architecture"), else from compute_capability_major/minor, else -1. */
    static int smVersion(Map<String, String> info) {
        String arch = info.get("architecture");
        if (arch != null && arch.startsWith("sm_")) {
            try {
                return Integer.parseInt(arch.substring(3).replaceAll("[^0-9].*$", ""));
            } catch (NumberFormatException e) {
                // fall through
            }
        }
        try {
            return Integer.parseInt(info.get("compute_capability_major")) * 10 + Integer.parseInt(info.getOrDefault("compute_capability_minor", "0"));
        } catch (NumberFormatException | NullPointerException e) {
            return -1;
        }
    }

    /** Whether a gathered matmul of {@code rows} (token, expert) rows over this weight goes to the kernel. */
    static boolean eligible(MlxTensor.Quant q, long k, long n, int rows) {
        return q != null && "nvfp4".equals(q.mode()) && q.bits() == 4 && q.groupSize() == 16 && q.biases() == null
                && rows >= MIN_ROWS && k > 0 && k % BK == 0 && n > 0 && k <= Integer.MAX_VALUE && n <= Integer.MAX_VALUE;
    }

    // ---------------------------------------------------------------- sources

    record Source(String header, String body) {}

    /** This variant's header (its sections joined in order) and body, from the bundle's resources. */
    static Source source(Variant v) {
        Map<String, String> sections = sections(resource("nvfp4_expert_matmul." + v.extension));
        StringBuilder header = new StringBuilder();
        for (String h : v.headers) {
            String s = sections.get("header " + h);
            if (s == null) throw new IllegalStateException("kernel source has no header section " + h);
            header.append(s);
        }
        String body = sections.get("body " + v.body());
        if (body == null) throw new IllegalStateException("kernel source has no body section " + v.body());
        return new Source(header.toString(), body);
    }

    static String resource(String name) {
        try (InputStream in = ExpertKernel.class.getResourceAsStream("kernels/" + name)) {
            if (in == null) throw new IllegalStateException("missing resource kernels/" + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The text after each {@code // @@<name>} marker line up to the next marker; what precedes the first is dropped. */
    static Map<String, String> sections(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        String current = null;
        StringBuilder sb = new StringBuilder();
        for (String line : text.split("\n", -1)) {
            String t = line.strip();
            if (t.startsWith("// @@")) {
                if (current != null) out.put(current, sb.toString());
                current = t.substring(5).strip();
                if (out.containsKey(current)) throw new IllegalStateException("kernel source section twice: " + current);
                sb.setLength(0);
            } else if (current != null) {
                sb.append(line).append('\n');
            }
        }
        if (current != null) out.put(current, sb.toString());
        return out;
    }

    // ---------------------------------------------------------------- launch arithmetic

    /** A template argument: a dtype ({@code dtype ≥ 0}, value unused) or an int. */
    record TemplateArg(String name, int dtype, int value) {
        static TemplateArg dtype(String name, int dtype) {
            return new TemplateArg(name, dtype, 0);
        }

        static TemplateArg integer(String name, int value) {
            return new TemplateArg(name, -1, value);
        }

        boolean isDtype() {
            return dtype >= 0;
        }
    }

    /**
     * What one call passes MLX: grid and threadgroup in threads (both MLX backends take the grid in
     * threads: Metal dispatches it as is, CUDA divides it by the block), template arguments, the
     * output's shape and dtype.
     */
    record Launch(int[] grid, int[] threadgroup, List<TemplateArg> templateArgs, int[] outShape, int outDtype) {}

    static Launch plan(int rows, int k, int n, int xDtype) {
        if (rows <= 0 || n <= 0 || k <= 0 || k % BK != 0) throw new IllegalArgumentException("rows " + rows + ", k " + k + ", n " + n);
        int tilesN = Math.ceilDiv(n, BN), tilesM = Math.ceilDiv(rows, BM);
        if ((long) tilesN * THREADS > Integer.MAX_VALUE || tilesM > 65535) throw new IllegalArgumentException("too large: " + rows + " × " + n);
        List<TemplateArg> args = List.of(TemplateArg.dtype("T", xDtype), TemplateArg.integer("K", k), TemplateArg.integer("N", n),
                TemplateArg.integer("BM", BM), TemplateArg.integer("BN", BN), TemplateArg.integer("BK", BK));
        return new Launch(new int[] {tilesN * THREADS, tilesM, 1}, new int[] {THREADS, 1, 1}, args, new int[] {rows, n}, Mlx.FLOAT32);
    }

    // ---------------------------------------------------------------- the kernel through MLX

    private final Mlx mlx;
    private final Variant variant;
    private final MemorySegment kernel;
    private final String prefix;

    ExpertKernel(Mlx mlx, Variant variant) {
        this.mlx = mlx;
        this.variant = variant;
        this.prefix = variant.metal() ? "mlx_fast_metal_kernel_" : "mlx_fast_cuda_kernel_";
        if (!mlx.has(prefix + "new")) throw new MlxException("libmlxc has no " + prefix + "new");
        Source src = source(variant);
        MemorySegment in = (MemorySegment) mlx.invoke("mlx_vector_string_new");
        MemorySegment out = (MemorySegment) mlx.invoke("mlx_vector_string_new");
        try {
            for (String name : INPUTS) mlx.check("mlx_vector_string_append_value", in, mlx.cstring(name));
            for (String name : OUTPUTS) mlx.check("mlx_vector_string_append_value", out, mlx.cstring(name));
            kernel = variant.metal()
                    ? (MemorySegment) mlx.invoke(prefix + "new", mlx.cstring(variant.kernelName()), in, out, mlx.cstring(src.body()),
                            mlx.cstring(src.header()), true, false)
                    : (MemorySegment) mlx.invoke(prefix + "new", mlx.cstring(variant.kernelName()), in, out, mlx.cstring(src.body()),
                            mlx.cstring(src.header()), true, 0);
            if (kernel.equals(MemorySegment.NULL)) throw new MlxException(prefix + "new failed");
        } finally {
            mlx.invoke("mlx_vector_string_free", in);
            mlx.invoke("mlx_vector_string_free", out);
        }
    }

    Variant variant() {
        return variant;
    }

    /**
     * {@code out [rows, n]} float32 from {@code x [rows, k]} (rows grouped by expert, ascending),
     * {@code w [E, n, k/8]} uint32, {@code scales [E, n, k/16]} uint8 and {@code indices [rows]}; a new
     * array the caller owns.
     */
    MemorySegment apply(MemorySegment x, MemorySegment w, MemorySegment scales, MemorySegment indices) {
        int[] xs = mlx.shape(x), ws = mlx.shape(w);
        if (xs.length != 2 || ws.length != 3 || ws[2] * 8 != xs[1]) {
            throw new IllegalArgumentException("nvfp4 experts: x " + java.util.Arrays.toString(xs) + ", w " + java.util.Arrays.toString(ws));
        }
        Launch l = plan(xs[0], xs[1], ws[1], mlx.dtype(x));
        MemorySegment config = (MemorySegment) mlx.invoke(prefix + "config_new");
        MemorySegment inputs = mlx.vector(List.of(x, w, scales, indices));
        try (Arena a = Arena.ofConfined()) {
            mlx.check(prefix + "config_add_output_arg", config, a.allocateFrom(JAVA_INT, l.outShape()), (long) l.outShape().length, l.outDtype());
            mlx.check(prefix + "config_set_grid", config, l.grid()[0], l.grid()[1], l.grid()[2]);
            mlx.check(prefix + "config_set_thread_group", config, l.threadgroup()[0], l.threadgroup()[1], l.threadgroup()[2]);
            for (TemplateArg t : l.templateArgs()) {
                if (t.isDtype()) mlx.check(prefix + "config_add_template_arg_dtype", config, mlx.cstring(t.name()), t.dtype());
                else mlx.check(prefix + "config_add_template_arg_int", config, mlx.cstring(t.name()), t.value());
            }
            MemorySegment outputs = a.allocate(ADDRESS);
            outputs.set(ADDRESS, 0, (MemorySegment) mlx.invoke("mlx_vector_array_new"));
            mlx.check(prefix + "apply", outputs, kernel, inputs, config, mlx.stream());
            MemorySegment vec = outputs.get(ADDRESS, 0);
            try {
                List<MemorySegment> result = mlx.unpack(vec);
                for (int i = 1; i < result.size(); i++) mlx.free(result.get(i));
                return result.getFirst();
            } finally {
                mlx.invoke("mlx_vector_array_free", vec);
            }
        } finally {
            mlx.invoke("mlx_vector_array_free", inputs);
            mlx.invoke(prefix + "config_free", config);
        }
    }

    @Override
    public void close() {
        mlx.invoke(prefix + "free", kernel);
    }

    // ---------------------------------------------------------------- choosing one on the device

    /**
     * The first candidate that compiles and agrees with MLX's {@code gather_qmm} on a small ragged
     * problem on the device, or null (logged). On the GPU stream only: MLX refuses custom kernels on
     * the CPU, and {@link MlxRuntime} never calls this there.
     */
    static ExpertKernel start(Mlx mlx, List<Variant> candidates) {
        for (Variant v : candidates) {
            ExpertKernel k = null;
            try {
                k = new ExpertKernel(mlx, v);
                double err = selfCheck(mlx, k);
                if (err <= 2e-2) {
                    LOG.log(Level.INFO, "mlx: fused nvfp4 expert kernel ({0}) agrees with gather_qmm on the device (relative error {1})", v.label, err);
                    return k;
                }
                LOG.log(Level.WARNING, "mlx: fused nvfp4 expert kernel ({0}) disagrees with gather_qmm (relative error {1}); not used", v.label, err);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "mlx: fused nvfp4 expert kernel (" + v.label + ") unusable: " + e.getMessage());
            }
            if (k != null) k.close();
        }
        return null;
    }

    /** Max |kernel − gather_qmm| over max |gather_qmm| on 70 rows in ragged groups over 3 experts, K 64, N 40. */
    private static double selfCheck(Mlx mlx, ExpertKernel k) {
        int experts = 3, n = 40, kk = 64, rows = 70;
        int[] groups = {0, 37, 33};   // expert 0 empty, a tile straddling experts 1 and 2, a partial last tile
        SplittableRandom r = new SplittableRandom(7);
        float[] wf = new float[experts * n * kk], xf = new float[rows * kk];
        for (int i = 0; i < wf.length; i++) wf[i] = (float) r.nextGaussian();
        for (int i = 0; i < xf.length; i++) xf[i] = (float) r.nextGaussian();
        int[] idx = new int[rows];
        for (int e = 0, at = 0; e < experts; e++) for (int j = 0; j < groups[e]; j++) idx[at++] = e;
        List<MemorySegment> made = new ArrayList<>();
        try {
            MemorySegment w2 = keep(made, mlx.array(MemorySegment.ofArray(wf), new int[] {experts * n, kk}, Mlx.FLOAT32));
            MemorySegment q = mlx.op("mlx_quantize", w2, mlx.optInt(false, 16), mlx.optInt(true, 4), mlx.cstring("nvfp4"), MemorySegment.NULL);
            List<MemorySegment> parts = mlx.unpack(q);
            mlx.invoke("mlx_vector_array_free", q);
            made.addAll(parts);
            MemorySegment w = keep(made, mlx.op("mlx_reshape", parts.get(0), mlx.scratchInts(new int[] {experts, n, kk / 8}), 3L));
            MemorySegment s = keep(made, mlx.op("mlx_reshape", parts.get(1), mlx.scratchInts(new int[] {experts, n, kk / 16}), 3L));
            MemorySegment x = keep(made, mlx.array(MemorySegment.ofArray(xf), new int[] {rows, kk}, Mlx.FLOAT32));
            MemorySegment ix = keep(made, mlx.array(MemorySegment.ofArray(idx), new int[] {rows}, Mlx.INT32));
            MemorySegment got = keep(made, k.apply(x, w, s, ix));
            MemorySegment x3 = keep(made, mlx.op("mlx_reshape", x, mlx.scratchInts(new int[] {rows, 1, kk}), 3L));
            MemorySegment ref = keep(made, mlx.op("mlx_gather_qmm", x3, w, s, MemorySegment.NULL, MemorySegment.NULL, ix, true,
                    mlx.optInt(false, 16), mlx.optInt(true, 4), mlx.cstring("nvfp4"), true));
            float[] a = mlx.floats(got), b = mlx.floats(ref);
            if (a.length != b.length) return Double.POSITIVE_INFINITY;
            double worst = 0, scale = 0;
            for (int i = 0; i < a.length; i++) {
                if (!Float.isFinite(a[i])) return Double.POSITIVE_INFINITY;
                worst = Math.max(worst, Math.abs(a[i] - b[i]));
                scale = Math.max(scale, Math.abs(b[i]));
            }
            return worst / Math.max(scale, 1e-30);
        } finally {
            made.forEach(mlx::free);
        }
    }

    private static MemorySegment keep(List<MemorySegment> made, MemorySegment h) {
        made.add(h);
        return h;
    }
}
