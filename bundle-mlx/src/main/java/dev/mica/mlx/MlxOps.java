package dev.mica.mlx;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.mica.api.arch.Rope;
import dev.mica.api.arch.Step;
import dev.mica.api.arch.Tensor;
import dev.mica.api.arch.TensorOps;
import dev.mica.api.arch.TopK;
import dev.mica.mlx.ffm.Mlx;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * {@link TensorOps} over MLX arrays. Ops only record MLX's lazy graph; the context evaluates the
 * logits (and the new KV) once per step. Every array an op makes belongs to the current step's
 * scope and is freed by {@link #release()}: MLX arrays share their buffers by reference count, so
 * freeing a handle never invalidates a result computed from it.
 *
 * <p>Called only on the MLX thread (the context runs the forward pass there).
 */
final class MlxOps implements TensorOps {
    /** Thrown inside a forward pass when the context is asked to abort. */
    static final class Aborted extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Aborted() {
            super("aborted", null, false, false);
        }
    }

    private final MlxRuntime rt;
    private final Mlx mlx;
    private final BooleanSupplier aborted;
    private final java.util.function.Supplier<MlxMemory> memory;
    private final List<MemorySegment> scope = new ArrayList<>();
    /** RoPE frequencies per factors tensor: read once, kept for the context's life. */
    private final Map<Tensor, MemorySegment> ropeFreqs = new IdentityHashMap<>();

    MlxOps(MlxRuntime rt, BooleanSupplier aborted, java.util.function.Supplier<MlxMemory> memory) {
        this.rt = rt;
        this.mlx = rt.mlx();
        this.aborted = aborted;
        this.memory = memory;
    }

    /** Frees every array made since the last release. */
    void release() {
        for (MemorySegment h : scope) mlx.free(h);
        scope.clear();
    }

    /** Frees what outlives steps (RoPE frequencies); the context calls it on close. */
    void close() {
        release();
        ropeFreqs.values().forEach(mlx::free);
        ropeFreqs.clear();
    }

    private MemorySegment keep(MemorySegment h) {
        scope.add(h);
        return h;
    }

    private MemorySegment op(String name, Object... args) {
        return keep(mlx.op(name, args));
    }

    private MlxTensor wrap(MemorySegment h) {
        int[] s = mlx.shape(h);
        long[] dims = new long[s.length];
        for (int i = 0; i < s.length; i++) dims[i] = s[i];
        int dtype = mlx.dtype(h);
        return new MlxTensor(h, dims, dtype == Mlx.INT32 || dtype == Mlx.UINT32 ? "i32" : "f32");
    }

    private void checkAbort() {
        if (!rt.onThread()) throw new IllegalStateException("MLX ops run on the MLX thread only");
        if (aborted.getAsBoolean()) throw new Aborted();
    }

    private static MlxTensor t(Tensor x) {
        if (x instanceof MlxTensor m) return m;
        throw new IllegalArgumentException("not an MLX tensor: " + x);
    }

    /** Activations: the array itself; quantized weights dequantized (rare: norms and biases are never quantized). */
    private MemorySegment a(Tensor x) {
        MlxTensor m = t(x);
        return m.quantized() ? dequantize(m.array(), m.quant()) : m.array();
    }

    private MemorySegment dequantize(MemorySegment w, MlxTensor.Quant q) {
        return op("mlx_dequantize", w, q.scales(), q.biases() == null ? MemorySegment.NULL : q.biases(), mlx.optInt(false, q.groupSize()),
                mlx.optInt(true, q.bits()), mlx.cstring(q.mode()), MemorySegment.NULL, mlx.optDtype(Mlx.FLOAT32));
    }

    MemorySegment indices(int[] values) {
        return keep(mlx.array(MemorySegment.ofArray(values), new int[] {values.length}, Mlx.INT32));
    }

    private MemorySegment scalar(float v) {
        return keep(mlx.scalar(v));
    }

    private static int[] ints(long... dims) {
        int[] s = new int[dims.length];
        for (int i = 0; i < dims.length; i++) s[i] = Math.toIntExact(dims[i]);
        return s;
    }

    private MemorySegment reshapeArray(MemorySegment x, int... shape) {
        return op("mlx_reshape", x, native_(shape), (long) shape.length);
    }

    /** Downcalls take no heap arrays: shapes and axes go off-heap, in a scratch reused across calls. */
    private MemorySegment native_(int[] values) {
        return mlx.scratchInts(values);
    }

    // ---------------------------------------------------------------- gathering

    @Override
    public Tensor embed(Tensor table, int[] tokens) {
        checkAbort();
        MlxTensor w = t(table);
        MemorySegment idx = indices(tokens);
        if (!w.quantized()) return wrap(op("mlx_take_axis", w.array(), idx, 0));
        MlxTensor.Quant q = w.quant();
        MemorySegment rows = op("mlx_take_axis", w.array(), idx, 0);
        MemorySegment scales = op("mlx_take_axis", q.scales(), idx, 0);
        MemorySegment biases = q.biases() == null ? null : op("mlx_take_axis", q.biases(), idx, 0);
        return wrap(dequantize(rows, new MlxTensor.Quant(scales, biases, q.groupSize(), q.bits(), q.mode())));
    }

    @Override
    public Tensor rows(Tensor x, int[] rows) {
        checkAbort();
        return wrap(op("mlx_take_axis", a(x), indices(rows), 0));
    }

    // ---------------------------------------------------------------- linear algebra

    @Override
    public Tensor matmul(Tensor x, Tensor w) {
        checkAbort();
        MlxTensor m = t(w);
        if (m.quantized()) {
            MlxTensor.Quant q = m.quant();
            return wrap(op("mlx_quantized_matmul", a(x), m.array(), q.scales(), q.biases() == null ? MemorySegment.NULL : q.biases(), true,
                    mlx.optInt(false, q.groupSize()), mlx.optInt(true, q.bits()), mlx.cstring(q.mode())));
        }
        // a vector weight [in] is one row (Qwen3.5-MoE's shared-expert gate): one value per row of x
        if (m.dims().length == 1) return wrap(op("mlx_matmul", a(x), reshapeArray(m.array(), (int) m.dims()[0], 1)));
        return wrap(op("mlx_matmul", a(x), op("mlx_swapaxes", m.array(), -1, -2)));
    }

    /**
     * As mlx-lm's SwitchGLU: x gets two unit axes so the expert index picks one matrix per (token, slot).
     * NVFP4 experts on a GPU route with enough rows (prefill) go to the fused kernel instead
     * ({@link ExpertKernel}), rows sorted by expert; decode and every other case keep MLX's gather_qmm.
     */
    @Override
    public Tensor gatherMatmul(Tensor x, Tensor w, Tensor experts) {
        checkAbort();
        MlxTensor m = t(w);
        ExpertKernel kernel = rt.expertKernel();
        if (kernel != null && rt.gpu() && m.quantized() && m.dims().length == 3) {
            long[] es = t(experts).dims();
            int rows = es.length == 2 ? Math.toIntExact(es[0] * es[1]) : -1;
            if (ExpertKernel.eligible(m.quant(), m.dims()[2], m.dims()[1], rows)) {
                MlxTensor.Quant q = m.quant();
                return gatherMatmulSorted(x, w, experts, (xs, idx) -> kernel.apply(xs, m.array(), q.scales(), idx));
            }
        }
        MemorySegment in = a(x);
        long[] xs = t(x).dims();
        in = xs.length == 2 ? reshapeArray(in, (int) xs[0], 1, 1, (int) xs[1]) : reshapeArray(in, (int) xs[0], (int) xs[1], 1, (int) xs[2]);
        MemorySegment idx = a(experts);
        MemorySegment out;
        if (m.quantized()) {
            MlxTensor.Quant q = m.quant();
            out = op("mlx_gather_qmm", in, m.array(), q.scales(), q.biases() == null ? MemorySegment.NULL : q.biases(), MemorySegment.NULL,
                    idx, true, mlx.optInt(false, q.groupSize()), mlx.optInt(true, q.bits()), mlx.cstring(q.mode()), false);
        } else {
            out = op("mlx_gather_mm", in, op("mlx_swapaxes", m.array(), -1, -2), MemorySegment.NULL, idx, false);
        }
        return wrap(op("mlx_squeeze_axis", out, -2));
    }

    /**
     * The gathered matmul with its (token, slot) rows sorted by expert, as mlx-lm's SwitchGLU does for
     * prefill: {@code matmul(rows [T·k, in] grouped by expert, their experts [T·k] ascending)} gives
     * {@code [T·k, out]}, put back in (token, slot) order as {@code [T, k, out]}. x is {@code [T, in]}
     * (each token's row serves all its slots) or {@code [T, k, in]}. The kernel is the only caller on
     * a device; tests pass MLX's sorted gather_qmm to check the reordering on the CPU.
     */
    Tensor gatherMatmulSorted(Tensor x, Tensor w, Tensor experts, java.util.function.BinaryOperator<MemorySegment> matmul) {
        checkAbort();
        long[] xs = t(x).dims(), es = t(experts).dims();
        int tokens = Math.toIntExact(es[0]), k = Math.toIntExact(es[1]), rows = tokens * k, width = Math.toIntExact(xs[xs.length - 1]);
        int out = Math.toIntExact(t(w).dims()[1]);
        if (xs.length == 2 ? xs[0] != tokens : xs.length != 3 || xs[0] != tokens || xs[1] != k) {
            throw new IllegalArgumentException("gatherMatmul: " + x + " for experts " + experts);
        }
        MemorySegment in = a(x);
        MemorySegment flat = reshapeArray(a(experts), rows);
        MemorySegment order = op("mlx_argsort_axis", flat, 0);
        MemorySegment sorted = op("mlx_take_axis", flat, order, 0);
        MemorySegment source = xs.length == 2
                ? op("mlx_take_axis", in, op("mlx_floor_divide", order, indices(new int[] {k})), 0)
                : op("mlx_take_axis", reshapeArray(in, rows, width), order, 0);
        MemorySegment y = keep(matmul.apply(source, sorted));
        MemorySegment back = op("mlx_take_axis", y, op("mlx_argsort_axis", order, 0), 0);
        return wrap(reshapeArray(back, tokens, k, out));
    }

    // ---------------------------------------------------------------- normalization, position

    @Override
    public Tensor rmsNorm(Tensor x, Tensor weight, float eps) {
        checkAbort();
        return wrap(op("mlx_fast_rms_norm", a(x), weight == null ? MemorySegment.NULL : a(weight), eps));
    }

    /**
     * MLX's fast RoPE rotates by one offset plus the index along the sequence axis, so the rows are
     * taken in runs of consecutive positions (one run per sequence in a batch) and joined again.
     */
    @Override
    public Tensor rope(Tensor x, int[] positions, Rope rope, Tensor freqFactors) {
        checkAbort();
        MlxTensor in = t(x);
        long[] s = in.dims();
        if (s.length != 3 || s[0] != positions.length || rope.dims() > s[2]) {
            throw new IllegalArgumentException("rope of " + in + " for " + positions.length + " positions, " + rope);
        }
        boolean traditional = rope.style() == Rope.Style.NORMAL;   // adjacent pairs
        MemorySegment freqs = freqFactors == null ? MemorySegment.NULL : freqs(rope, freqFactors);
        List<MemorySegment> parts = new ArrayList<>();
        int start = 0;
        for (int r = 1; r <= positions.length; r++) {
            if (r < positions.length && positions[r] == positions[r - 1] + 1) continue;
            MemorySegment run = start == 0 && r == positions.length ? in.array() : slice(in.array(), 0, start, r);
            MemorySegment heads = op("mlx_swapaxes", run, 0, 1);            // [heads, tokens, dim]: tokens as the sequence axis
            MemorySegment rotated = op("mlx_fast_rope", heads, rope.dims(), traditional,
                    mlx.optFloat(freqFactors == null ? rope.base() : null), rope.scale(), positions[start], freqs);
            parts.add(op("mlx_swapaxes", rotated, 0, 1));
            start = r;
        }
        return wrap(parts.size() == 1 ? parts.getFirst() : concat(parts, 0));
    }

    /** MLX divides positions by these: the base's wavelengths times Llama 3's per-frequency factors. */
    private MemorySegment freqs(Rope rope, Tensor factors) {
        return ropeFreqs.computeIfAbsent(factors, f -> {
            float[] div = mlx.floats(t(f).array());
            int half = rope.dims() / 2;
            float[] out = new float[half];
            for (int i = 0; i < half; i++) out[i] = (float) (Math.pow(rope.base(), 2.0 * i / rope.dims()) * div[i]);
            return mlx.array(MemorySegment.ofArray(out), new int[] {half}, Mlx.FLOAT32);
        });
    }

    // ---------------------------------------------------------------- per-sequence state

    /**
     * Per sequence: its rows' keys and values are appended to what the memory holds for it, and
     * its queries attend with MLX's causal mask, which aligns the last query with the last key, so
     * each row sees its own position and those before. A bidirectional model's step has no mask:
     * every row sees all the sequence holds, as the Java backend's and llama.cpp's do. The new KV
     * is pending until the context commits the step.
     */
    @Override
    public Tensor attention(Step s, int layer, Tensor q, Tensor k, Tensor v, float scale) {
        checkAbort();
        if (!(s instanceof MlxStep step)) throw new IllegalArgumentException("not a step of the MLX backend: " + s);
        MlxTensor tq = t(q), tk = t(k), tv = t(v);
        MlxMemory memory = this.memory.get();
        var spec = memory.attentionLayer(layer);
        int n = step.size(), heads = (int) tq.dims()[1];
        if (tq.dims()[0] != n || tq.dims()[2] != spec.keyDim() || !Arrays.equals(tk.dims(), new long[] {n, spec.kvHeads(), spec.keyDim()})
                || !Arrays.equals(tv.dims(), new long[] {n, spec.kvHeads(), spec.valueDim()}) || heads % spec.kvHeads() != 0) {
            throw new IllegalArgumentException("attention of layer " + layer + ": q " + tq + ", k " + tk + ", v " + tv
                    + " do not fit " + spec + " for " + n + " tokens");
        }
        List<MemorySegment> outs = new ArrayList<>();
        int[] order = new int[n];
        int o = 0;
        for (Map.Entry<Integer, int[]> g : step.groups().entrySet()) {
            int[] rows = g.getValue();
            MemorySegment idx = step.single() ? null : indices(rows);
            MemorySegment qs = headsFirst(tq.array(), idx), ks = headsFirst(tk.array(), idx), vs = headsFirst(tv.array(), idx);
            MemorySegment[] kv = memory.append(layer, g.getKey(), ks, vs);
            MemorySegment att = op("mlx_fast_scaled_dot_product_attention", qs, kv[0], kv[1], scale,
                    mlx.cstring(step.causal() && rows.length > 1 ? "causal" : ""), MemorySegment.NULL, MemorySegment.NULL);
            // [1, heads, m, valueDim] → [m, heads · valueDim]
            outs.add(reshapeArray(op("mlx_transpose_axes", att, native_(new int[] {0, 2, 1, 3}), 4L), rows.length, heads * spec.valueDim()));
            for (int r : rows) order[o++] = r;
        }
        if (outs.size() == 1) return wrap(outs.getFirst());
        int[] inverse = new int[n];
        for (int i = 0; i < n; i++) inverse[order[i]] = i;
        return wrap(op("mlx_take_axis", concat(outs, 0), indices(inverse), 0));
    }

    /** {@code [tokens, heads, dim]} (the given rows) → {@code [1, heads, tokens, dim]}. */
    private MemorySegment headsFirst(MemorySegment x, MemorySegment rows) {
        MemorySegment r = rows == null ? x : op("mlx_take_axis", x, rows, 0);
        return op("mlx_expand_dims", op("mlx_swapaxes", r, 0, 1), 0);
    }

    /** Rows of one sequence in batch order, or everything when the step holds one sequence. */
    private MemorySegment rowsOf(MlxStep step, MemorySegment x, int[] rows) {
        return step.single() ? x : op("mlx_take_axis", x, indices(rows), 0);
    }

    /** Per-sequence results, concatenated in group order, put back into the batch's row order. */
    private MemorySegment batchOrder(MlxStep step, List<MemorySegment> outs) {
        if (outs.size() == 1) return outs.getFirst();
        int[] inverse = new int[step.size()];
        int o = 0;
        for (int[] rows : step.groups().values()) for (int r : rows) inverse[r] = o++;
        return op("mlx_take_axis", concat(outs, 0), indices(inverse), 0);
    }

    private MemorySegment zeros(int... shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return keep(mlx.array(MemorySegment.ofArray(new float[Math.toIntExact(n)]), shape, Mlx.FLOAT32));
    }

    private static MlxStep mlxStep(Step s) {
        if (s instanceof MlxStep step) return step;
        throw new IllegalArgumentException("not a step of the MLX backend: " + s);
    }

    /**
     * Per sequence: its held inputs (zeros at the start) joined above this step's rows, so
     * {@code out[t] = Σ_i kernel[:, i] · joined[t + i]}; the last {@code width - 1} rows of the
     * join are the new state, pending until the step commits.
     */
    @Override
    public Tensor conv1d(Step s, int layer, Tensor x, Tensor kernel) {
        checkAbort();
        MlxStep step = mlxStep(s);
        MlxRecurrentState state = memory.get().recurrent(layer);
        var spec = state.spec(layer);
        int n = step.size(), channels = spec.convChannels(), width = spec.convWidth(), held = width - 1;
        if (!Arrays.equals(t(x).dims(), new long[] {n, channels}) || !Arrays.equals(t(kernel).dims(), new long[] {channels, width})) {
            throw new IllegalArgumentException("conv1d of layer " + layer + ": " + t(x) + " with kernel " + t(kernel) + " do not fit " + spec);
        }
        MemorySegment taps = op("mlx_swapaxes", a(kernel), 0, 1);   // [width, channels]: one row per tap
        MemorySegment in = a(x);
        List<MemorySegment> outs = new ArrayList<>();
        for (Map.Entry<Integer, int[]> g : step.groups().entrySet()) {
            int m = g.getValue().length;
            MemorySegment rows = rowsOf(step, in, g.getValue());
            MemorySegment joined = rows;
            if (held > 0) {
                MemorySegment before = state.conv(layer, g.getKey());
                joined = concat(List.of(before == null ? zeros(held, channels) : before, rows), 0);
            }
            MemorySegment sum = null;
            for (int i = 0; i < width; i++) {
                MemorySegment term = op("mlx_multiply", slice(joined, 0, i, i + m), slice(taps, 0, i, i + 1));
                sum = sum == null ? term : op("mlx_add", sum, term);
            }
            outs.add(sum);
            if (held > 0) state.pendConv(layer, g.getKey(), mlx.op("mlx_contiguous", slice(joined, 0, m, m + held), false));
        }
        return wrap(batchOrder(step, outs));
    }

    /** From this many rows of a sequence on, the chunked form (fewer, larger ops) replaces the row loop. */
    static final int CHUNKED_FROM = 8;
    private static final int CHUNK = 64;

    /**
     * Per sequence, on its {@code [heads, valueDim, keyDim]} state: a row loop for a few rows (a
     * decode step), the chunked form for a prompt. The final state is pending until the step
     * commits.
     */
    @Override
    public Tensor gatedDelta(Step s, int layer, Tensor q, Tensor k, Tensor v, Tensor g, Tensor beta) {
        checkAbort();
        MlxStep step = mlxStep(s);
        MlxRecurrentState state = memory.get().recurrent(layer);
        var spec = state.spec(layer);
        int n = step.size(), heads = spec.heads(), keyDim = spec.keyDim(), valueDim = spec.valueDim();
        long[] qd = t(q).dims();
        int kHeads = (int) qd[1];
        if (qd.length != 3 || qd[0] != n || qd[2] != keyDim || !Arrays.equals(t(k).dims(), qd)
                || !Arrays.equals(t(v).dims(), new long[] {n, heads, valueDim}) || !Arrays.equals(t(g).dims(), new long[] {n, heads})
                || !Arrays.equals(t(beta).dims(), new long[] {n, heads}) || heads % kHeads != 0) {
            throw new IllegalArgumentException("gatedDelta of layer " + layer + ": q " + t(q) + ", k " + t(k) + ", v " + t(v) + ", g "
                    + t(g) + ", beta " + t(beta) + " do not fit " + spec);
        }
        MemorySegment qa = a(q), ka = a(k);
        if (kHeads != heads) {       // value head h reads key head h mod kHeads
            int[] map = new int[heads];
            for (int h = 0; h < heads; h++) map[h] = h % kHeads;
            MemorySegment idx = indices(map);
            qa = op("mlx_take_axis", qa, idx, 1);
            ka = op("mlx_take_axis", ka, idx, 1);
        }
        MemorySegment va = a(v), ga = a(g), ba = a(beta);
        List<MemorySegment> outs = new ArrayList<>();
        for (Map.Entry<Integer, int[]> e : step.groups().entrySet()) {
            int[] rows = e.getValue();
            MemorySegment held = state.delta(layer, e.getKey());
            MemorySegment st = held == null ? zeros(heads, valueDim, keyDim) : held;
            MemorySegment[] r = rows.length < CHUNKED_FROM
                    ? deltaRows(rowsOf(step, qa, rows), rowsOf(step, ka, rows), rowsOf(step, va, rows), rowsOf(step, ga, rows),
                            rowsOf(step, ba, rows), st, rows.length, heads, keyDim, valueDim)
                    : deltaChunks(rowsOf(step, qa, rows), rowsOf(step, ka, rows), rowsOf(step, va, rows), rowsOf(step, ga, rows),
                            rowsOf(step, ba, rows), st, rows.length, heads, keyDim, valueDim);
            outs.add(r[0]);
            state.pendDelta(layer, e.getKey(), mlx.op("mlx_contiguous", r[1], false));
        }
        return wrap(batchOrder(step, outs));
    }

    /**
     * Row by row, as mlx-lm's reference (non-kernel) gated delta: the state is {@code [1, heads,
     * valueDim, keyDim]} while the rows run, so {@code S·k} and {@code S·q} are matmuls against
     * {@code [1, heads, keyDim, 1]} columns. Returns the output {@code [m, heads, valueDim]} and the
     * final state {@code [heads, valueDim, keyDim]}.
     */
    private MemorySegment[] deltaRows(MemorySegment q, MemorySegment k, MemorySegment v, MemorySegment g, MemorySegment beta,
            MemorySegment state, int m, int heads, int keyDim, int valueDim) {
        MemorySegment qs = reshapeArray(q, m, heads, keyDim, 1), ks = reshapeArray(k, m, heads, keyDim, 1);
        MemorySegment kRows = reshapeArray(ks, m, heads, 1, keyDim), vs = reshapeArray(v, m, heads, valueDim, 1);
        MemorySegment gs = reshapeArray(op("mlx_exp", g), m, heads, 1, 1), bs = reshapeArray(beta, m, heads, 1, 1);
        MemorySegment st = reshapeArray(state, 1, heads, valueDim, keyDim);
        List<MemorySegment> rowsOut = new ArrayList<>();
        for (int t = 0; t < m; t++) {
            st = op("mlx_multiply", st, slice(gs, 0, t, t + 1));
            MemorySegment remembered = op("mlx_matmul", st, slice(ks, 0, t, t + 1));
            MemorySegment delta = op("mlx_multiply", op("mlx_subtract", slice(vs, 0, t, t + 1), remembered), slice(bs, 0, t, t + 1));
            st = op("mlx_add", st, op("mlx_multiply", delta, slice(kRows, 0, t, t + 1)));
            rowsOut.add(op("mlx_matmul", st, slice(qs, 0, t, t + 1)));
        }
        return new MemorySegment[] {reshapeArray(rowsOut.size() == 1 ? rowsOut.getFirst() : concat(rowsOut, 0), m, heads, valueDim),
                reshapeArray(st, heads, valueDim, keyDim)};
    }

    /**
     * The chunked form (the WY representation of Gated DeltaNet, as Hugging Face's
     * {@code torch_chunk_gated_delta_rule}), heads first and the state {@code S [heads, keyDim,
     * valueDim]}. Within a chunk of c rows, with G the cumulative log decay and
     * {@code A[t][s] = β_t·(k_t·k_s)·e^(G_t−G_s)} for s &lt; t, the rows' delta-rule updates are
     * {@code U = (I + A)⁻¹·(βV − (βK·e^G)·S)}; then {@code O = (Q·e^G)·S + (QKᵀ ⊙ e^(G_t−G_s), s ≤ t)·U}
     * and {@code S ← e^(G_last)·S + (K·e^(G_last−G))ᵀ·U}. A is nilpotent, so its inverse is
     * the product {@code (I − A)(I + A²)(I + A⁴)…}: log₂ c matmul pairs instead of c dependent
     * row steps, and every op works on whole chunks.
     */
    private MemorySegment[] deltaChunks(MemorySegment q, MemorySegment k, MemorySegment v, MemorySegment g, MemorySegment beta,
            MemorySegment state, int m, int heads, int keyDim, int valueDim) {
        MemorySegment qh = op("mlx_swapaxes", q, 0, 1), kh = op("mlx_swapaxes", k, 0, 1), vh = op("mlx_swapaxes", v, 0, 1);
        MemorySegment gh = reshapeArray(op("mlx_swapaxes", g, 0, 1), heads, m, 1);
        MemorySegment bh = reshapeArray(op("mlx_swapaxes", beta, 0, 1), heads, m, 1);
        MemorySegment st = op("mlx_swapaxes", state, -1, -2);
        List<MemorySegment> outs = new ArrayList<>();
        for (int c0 = 0; c0 < m; c0 += CHUNK) {
            int c = Math.min(CHUNK, m - c0);
            MemorySegment qc = slice(qh, 1, c0, c0 + c), kc = slice(kh, 1, c0, c0 + c), vc = slice(vh, 1, c0, c0 + c);
            MemorySegment gc = slice(gh, 1, c0, c0 + c), bc = slice(bh, 1, c0, c0 + c);
            MemorySegment lower = triangle(c, 0), strict = triangle(c, 1), eye = triangle(c, -1);
            MemorySegment cum = op("mlx_matmul", lower, gc);                                        // G [heads, c, 1]
            MemorySegment gamma = op("mlx_exp", cum);
            // e^(G_t − G_s) for s ≤ t; the exponent is zeroed above the diagonal first, where it could overflow
            MemorySegment diff = op("mlx_subtract", cum, op("mlx_swapaxes", cum, -1, -2));
            MemorySegment decay = op("mlx_multiply", op("mlx_exp", op("mlx_multiply", diff, lower)), lower);
            MemorySegment kb = op("mlx_multiply", kc, bc), vb = op("mlx_multiply", vc, bc);
            MemorySegment kt = op("mlx_swapaxes", kc, -1, -2);
            MemorySegment x = op("mlx_multiply", op("mlx_multiply", op("mlx_matmul", kb, kt), decay), strict);
            x = op("mlx_multiply", x, scalar(-1f));
            MemorySegment inverse = op("mlx_add", eye, x), power = x;
            for (int span = 2; span < c; span *= 2) {
                power = op("mlx_matmul", power, power);
                inverse = op("mlx_add", inverse, op("mlx_matmul", inverse, power));
            }
            MemorySegment kCum = op("mlx_matmul", inverse, op("mlx_multiply", kb, gamma));
            MemorySegment u = op("mlx_subtract", op("mlx_matmul", inverse, vb), op("mlx_matmul", kCum, st));
            MemorySegment inter = op("mlx_matmul", op("mlx_multiply", qc, gamma), st);
            MemorySegment intra = op("mlx_matmul", op("mlx_multiply", op("mlx_matmul", qc, kt), decay), u);
            outs.add(op("mlx_add", inter, intra));
            MemorySegment last = slice(cum, 1, c - 1, c);
            MemorySegment keyed = op("mlx_multiply", kc, op("mlx_exp", op("mlx_subtract", last, cum)));
            st = op("mlx_add", op("mlx_multiply", st, op("mlx_exp", last)), op("mlx_matmul", op("mlx_swapaxes", keyed, -1, -2), u));
        }
        MemorySegment out = outs.size() == 1 ? outs.getFirst() : concat(outs, 1);
        return new MemorySegment[] {op("mlx_swapaxes", out, 0, 1), op("mlx_swapaxes", st, -1, -2)};
    }

    /** {@code [c, c]}: ones on and below the diagonal (0), strictly below (1), or the identity (−1). */
    private MemorySegment triangle(int c, int kind) {
        float[] data = new float[c * c];
        for (int i = 0; i < c; i++) {
            for (int j = 0; j < c; j++) data[i * c + j] = kind == 0 ? (j <= i ? 1 : 0) : kind == 1 ? (j < i ? 1 : 0) : (i == j ? 1 : 0);
        }
        return keep(mlx.array(MemorySegment.ofArray(data), new int[] {c, c}, Mlx.FLOAT32));
    }

    // ---------------------------------------------------------------- elementwise

    private Tensor binary(String name, Tensor x, Tensor y) {
        checkAbort();
        return wrap(op(name, a(x), a(y)));
    }

    @Override
    public Tensor add(Tensor x, Tensor y) {
        return binary("mlx_add", x, y);
    }

    @Override
    public Tensor sub(Tensor x, Tensor y) {
        return binary("mlx_subtract", x, y);
    }

    @Override
    public Tensor mul(Tensor x, Tensor y) {
        return binary("mlx_multiply", x, y);
    }

    @Override
    public Tensor div(Tensor x, Tensor y) {
        return binary("mlx_divide", x, y);
    }

    @Override
    public Tensor scale(Tensor x, float s) {
        checkAbort();
        return wrap(op("mlx_multiply", a(x), scalar(s)));
    }

    /** On the GPU through the fused custom Metal kernel (see {@link MetalKernels}); elsewhere sigmoid then multiply. */
    @Override
    public Tensor silu(Tensor x) {
        checkAbort();
        MemorySegment in = a(x);
        if (rt.metalKernels() != null) return wrap(keep(rt.metalKernels().silu(in, mlx.shape(in))));
        return wrap(op("mlx_multiply", in, op("mlx_sigmoid", in)));
    }

    /** 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
    @Override
    public Tensor gelu(Tensor x) {
        checkAbort();
        MemorySegment in = a(x);
        MemorySegment cube = op("mlx_multiply", in, op("mlx_square", in));
        MemorySegment inner = op("mlx_multiply", op("mlx_add", in, op("mlx_multiply", cube, scalar(0.044715f))),
                scalar((float) Math.sqrt(2 / Math.PI)));
        MemorySegment half = op("mlx_multiply", in, scalar(0.5f));
        return wrap(op("mlx_multiply", half, op("mlx_add", op("mlx_tanh", inner), scalar(1f))));
    }

    @Override
    public Tensor sigmoid(Tensor x) {
        checkAbort();
        return wrap(op("mlx_sigmoid", a(x)));
    }

    /** log(1 + eˣ) as logaddexp(x, 0), which does not overflow. */
    @Override
    public Tensor softplus(Tensor x) {
        checkAbort();
        return wrap(op("mlx_logaddexp", a(x), scalar(0f)));
    }

    // ---------------------------------------------------------------- reductions

    @Override
    public Tensor softmax(Tensor x) {
        checkAbort();
        return wrap(op("mlx_softmax_axis", a(x), -1, true));
    }

    /** MLX's topk is unordered: partition for the k largest, then sort those descending. */
    @Override
    public TopK topK(Tensor x, int k) {
        checkAbort();
        MemorySegment in = a(x);
        long last = t(x).dims()[t(x).dims().length - 1];
        if (k <= 0 || k > last) throw new IllegalArgumentException("top " + k + " of " + x);
        MemorySegment neg = op("mlx_negative", in);
        MemorySegment part = op("mlx_argpartition_axis", neg, k - 1, -1);
        MemorySegment idx = slice(part, -1, 0, k);
        MemorySegment vals = op("mlx_take_along_axis", in, idx, -1);
        MemorySegment order = op("mlx_argsort_axis", op("mlx_negative", vals), -1);
        MemorySegment sortedIdx = op("mlx_astype", op("mlx_take_along_axis", idx, order, -1), Mlx.INT32);
        return new TopK(wrap(op("mlx_take_along_axis", vals, order, -1)), wrap(sortedIdx));
    }

    @Override
    public Tensor sum(Tensor x, int axis) {
        checkAbort();
        return wrap(op("mlx_sum_axis", a(x), axis, false));
    }

    // ---------------------------------------------------------------- shape

    @Override
    public Tensor reshape(Tensor x, long... shape) {
        checkAbort();
        return wrap(reshapeArray(a(x), ints(shape)));
    }

    @Override
    public Tensor slice(Tensor x, int axis, long from, long to) {
        checkAbort();
        return wrap(slice(a(x), axis, (int) from, (int) to));
    }

    MemorySegment slice(MemorySegment x, int axis, int from, int to) {
        int[] shape = mlx.shape(x);
        int ax = axis < 0 ? shape.length + axis : axis;
        int[] start = new int[shape.length], stop = shape.clone(), strides = new int[shape.length];
        Arrays.fill(strides, 1);
        start[ax] = from;
        stop[ax] = to;
        return op("mlx_slice", x, native_(start), (long) start.length, native_(stop), (long) stop.length, native_(strides),
                (long) strides.length);
    }

    @Override
    public Tensor concat(int axis, Tensor x, Tensor y) {
        checkAbort();
        return wrap(concat(List.of(a(x), a(y)), axis));
    }

    private MemorySegment concat(List<MemorySegment> parts, int axis) {
        MemorySegment vec = mlx.vector(parts);
        try {
            return op("mlx_concatenate_axis", vec, axis);
        } finally {
            mlx.invoke("mlx_vector_array_free", vec);
        }
    }

    /** Reads a (small) tensor's values, e.g. in tests. */
    float[] read(Tensor x) {
        return mlx.floats(a(x));
    }
}
