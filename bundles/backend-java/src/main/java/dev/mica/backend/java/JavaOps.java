package dev.mica.backend.java;

import dev.mica.api.arch.Rope;
import dev.mica.api.arch.StateLayout;
import dev.mica.api.arch.Step;
import dev.mica.api.arch.Tensor;
import dev.mica.api.arch.TensorOps;
import dev.mica.api.arch.TopK;
import dev.mica.backend.java.tensor.FloatTensor;
import dev.mica.backend.java.tensor.IntTensor;
import dev.mica.backend.java.tensor.MatMul;
import dev.mica.backend.java.tensor.Parallel;
import dev.mica.backend.java.tensor.Shapes;
import dev.mica.backend.java.tensor.Vec;
import dev.mica.backend.java.tensor.WeightTensor;
import java.util.Arrays;
import java.util.function.BooleanSupplier;

/**
 * {@link TensorOps} computed at once on the CPU: activations are heap float arrays, weights stay
 * in the mapped file, matmuls and attention run on the context's thread pool. Each op checks the
 * context's abort flag first, so an abort lands within one op.
 */
final class JavaOps implements TensorOps {
    private final Parallel pool;
    private final BooleanSupplier aborted;
    private final Numerics numerics;

    JavaOps(Parallel pool, BooleanSupplier aborted, Numerics numerics) {
        this.pool = pool;
        this.aborted = aborted;
        this.numerics = numerics;
    }

    /** Thrown out of a forward pass when the context was asked to abort. */
    static final class Aborted extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Aborted() {
            super("aborted", null, false, false);
        }
    }

    private void checkAbort() {
        if (aborted.getAsBoolean()) throw new Aborted();
    }

    private static FloatTensor floats(Tensor t) {
        if (t instanceof FloatTensor f) return f;
        if (t instanceof WeightTensor w) return w.asFloats();
        throw new IllegalArgumentException("expected a float tensor, got " + t);
    }

    private static WeightTensor weight(Tensor t) {
        if (t instanceof WeightTensor w) return w;
        throw new IllegalArgumentException("expected a model weight, got " + t);
    }

    private static IntTensor ints(Tensor t) {
        if (t instanceof IntTensor i) return i;
        throw new IllegalArgumentException("expected an i32 tensor, got " + t);
    }

    private static ComputeStep step(Step s) {
        if (s instanceof ComputeStep c) return c;
        throw new IllegalArgumentException("not a step of the Java backend: " + s);
    }

    private static long[] withLast(long[] shape, long last) {
        long[] s = shape.clone();
        s[s.length - 1] = last;
        return s;
    }

    // ---------------------------------------------------------------- gathering

    @Override
    public Tensor embed(Tensor table, int[] tokens) {
        checkAbort();
        if (table instanceof FloatTensor f) return rows(f, tokens);
        WeightTensor w = weight(table);
        int width = w.rowLength();
        float[] out = new float[tokens.length * width];
        for (int t = 0; t < tokens.length; t++) {
            if (tokens[t] < 0 || tokens[t] >= w.rows()) {
                throw new IllegalArgumentException("token " + tokens[t] + " is outside " + w);
            }
            w.format().dequantize(w.data(), w.rowOffset(tokens[t]), out, t * width, width);
        }
        return new FloatTensor(out, tokens.length, width);
    }

    @Override
    public Tensor rows(Tensor x, int[] rows) {
        FloatTensor f = floats(x);
        long[] shape = f.shape();
        int rowSize = Math.toIntExact(Shapes.count(shape) / shape[0]);
        float[] out = new float[rows.length * rowSize];
        for (int i = 0; i < rows.length; i++) System.arraycopy(f.data(), rows[i] * rowSize, out, i * rowSize, rowSize);
        shape[0] = rows.length;
        return new FloatTensor(out, shape);
    }

    // ---------------------------------------------------------------- linear algebra

    @Override
    public Tensor matmul(Tensor x, Tensor w) {
        checkAbort();
        FloatTensor a = floats(x);
        WeightTensor m = weight(w);
        // a vector weight [in] is one row: x · w gives one value per row of x
        if (m.rank() > 2 || a.width() != m.rowLength()) {
            throw new IllegalArgumentException("matmul of " + a + " with " + m + ": widths differ");
        }
        int n = a.rows(), out = (int) m.rows();
        float[] result = new float[n * out];
        MatMul.linear(pool, m, 0, out, a.data(), 0, n, result, 0);
        return new FloatTensor(result, withLast(a.shape(), out));
    }

    @Override
    public Tensor gatherMatmul(Tensor x, Tensor w, Tensor experts) {
        checkAbort();
        FloatTensor a = floats(x);
        WeightTensor m = weight(w);
        IntTensor e = ints(experts);
        long[] ws = m.shape();
        if (ws.length != 3 || a.width() != ws[2]) throw new IllegalArgumentException("gatherMatmul of " + a + " with " + m);
        int tokens = (int) e.shape()[0], k = (int) e.shape()[1], in = (int) ws[2], out = (int) ws[1], nExperts = (int) ws[0];
        boolean perSlot = a.rank() == 3;
        if (a.rows() != (perSlot ? tokens * k : tokens)) throw new IllegalArgumentException("gatherMatmul: " + a + " for experts " + e);
        float[] result = new float[tokens * k * out];
        // Group the (token, slot) pairs by expert, so each expert's rows are read once for all its tokens.
        int[] counts = new int[nExperts];
        for (int id : e.data()) {
            if (id < 0 || id >= nExperts) throw new IllegalArgumentException("expert " + id + " is outside " + m);
            counts[id]++;
        }
        float[] gathered = new float[0];
        float[] produced = new float[0];
        int[] slots = new int[tokens * k];
        for (int expert = 0; expert < nExperts; expert++) {
            int count = counts[expert];
            if (count == 0) continue;
            if (gathered.length < count * in) gathered = new float[count * in];
            if (produced.length < count * out) produced = new float[count * out];
            int c = 0;
            for (int pair = 0; pair < tokens * k; pair++) {
                if (e.data()[pair] != expert) continue;
                int src = perSlot ? pair : pair / k;
                System.arraycopy(a.data(), src * in, gathered, c * in, in);
                slots[c++] = pair;
            }
            MatMul.linear(pool, m, (long) expert * out, out, gathered, 0, count, produced, 0);
            for (int i = 0; i < count; i++) System.arraycopy(produced, i * out, result, slots[i] * out, out);
        }
        return new FloatTensor(result, tokens, k, out);
    }

    // ---------------------------------------------------------------- normalization, position

    @Override
    public Tensor rmsNorm(Tensor x, Tensor weight, float eps) {
        checkAbort();
        FloatTensor a = floats(x);
        int width = a.width(), rows = a.rows();
        float[] w = weight == null ? null : floats(weight).data();
        if (w != null && w.length != width) throw new IllegalArgumentException("rmsNorm of " + a + " with weight " + weight);
        float[] in = a.data(), out = new float[in.length];
        for (int r = 0; r < rows; r++) {
            int o = r * width;
            double sum = 0;
            for (int i = 0; i < width; i++) sum += (double) in[o + i] * in[o + i];
            float scale = (float) (1.0 / Math.sqrt(sum / width + eps));
            if (w == null) {
                for (int i = 0; i < width; i++) out[o + i] = in[o + i] * scale;
            } else {
                for (int i = 0; i < width; i++) out[o + i] = in[o + i] * scale * w[i];
            }
        }
        return new FloatTensor(out, a.shape());
    }

    @Override
    public Tensor rope(Tensor x, int[] positions, Rope rope, Tensor freqFactors) {
        checkAbort();
        FloatTensor a = floats(x);
        long[] s = a.shape();
        if (s.length != 3 || s[0] != positions.length || rope.dims() > s[2]) {
            throw new IllegalArgumentException("rope of " + a + " for " + positions.length + " positions, " + rope);
        }
        int tokens = (int) s[0], heads = (int) s[1], headDim = (int) s[2], half = rope.dims() / 2;
        float[] factors = freqFactors == null ? null : floats(freqFactors).data();
        float[] out = a.data().clone();
        double[] inv = new double[half];
        for (int i = 0; i < half; i++) {
            inv[i] = Math.pow(rope.base(), -2.0 * i / rope.dims()) / (factors == null ? 1.0 : factors[i]);
        }
        float[] cos = new float[half], sin = new float[half];
        boolean neox = rope.style() == Rope.Style.NEOX;
        for (int t = 0; t < tokens; t++) {
            double p = (double) positions[t] * rope.scale();
            for (int i = 0; i < half; i++) {
                double theta = p * inv[i];
                cos[i] = (float) Math.cos(theta);
                sin[i] = (float) Math.sin(theta);
            }
            for (int h = 0; h < heads; h++) {
                int o = (t * heads + h) * headDim;
                for (int i = 0; i < half; i++) {
                    int i0 = neox ? o + i : o + 2 * i;
                    int i1 = neox ? o + i + half : o + 2 * i + 1;
                    float x0 = out[i0], x1 = out[i1];
                    out[i0] = x0 * cos[i] - x1 * sin[i];
                    out[i1] = x0 * sin[i] + x1 * cos[i];
                }
            }
        }
        return new FloatTensor(out, s);
    }

    // ---------------------------------------------------------------- per-sequence state

    @Override
    public Tensor attention(Step s, int layer, Tensor q, Tensor k, Tensor v, float scale) {
        checkAbort();
        ComputeStep step = step(s);
        FloatTensor fq = floats(q), fk = floats(k), fv = floats(v);
        StateLayout.Attention spec = step.memory().attentionLayer(layer);
        int n = step.size(), heads = (int) fq.dim(1), keyDim = spec.keyDim(), valueDim = spec.valueDim(), kvHeads = spec.kvHeads();
        if (fq.dim(0) != n || fq.dim(2) != keyDim || !Arrays.equals(fk.shape(), new long[] {n, kvHeads, keyDim})
                || !Arrays.equals(fv.shape(), new long[] {n, kvHeads, valueDim}) || heads % kvHeads != 0) {
            throw new IllegalArgumentException("attention of layer " + layer + ": q " + fq + ", k " + fk + ", v " + fv
                    + " do not fit " + spec + " for " + n + " tokens");
        }
        step.computeVisibility();
        float[] keys = step.memory().keys(layer), values = step.memory().values(layer);
        int kRow = kvHeads * keyDim, vRow = kvHeads * valueDim;
        boolean half = numerics == Numerics.LLAMA_CPP;
        for (int t = 0; t < n; t++) {
            System.arraycopy(fk.data(), t * kRow, keys, step.cell(t) * kRow, kRow);
            System.arraycopy(fv.data(), t * vRow, values, step.cell(t) * vRow, vRow);
            if (half) {
                roundToHalf(keys, step.cell(t) * kRow, kRow);
                roundToHalf(values, step.cell(t) * vRow, vRow);
            }
        }
        int group = heads / kvHeads;
        boolean halfSums = half;
        float[] qd = fq.data(), out = new float[n * heads * valueDim];
        if (halfSums) {
            qd = qd.clone();
            roundToHalf(qd, 0, qd.length);
        }
        float[] queries = qd;
        pool.forEach(n * heads, task -> {
            int t = task / heads, h = task % heads, kvh = h / group;
            int[] cells = step.visibleCells(t);
            int visible = step.visibleCount(t);
            float[] scores = ComputeStep.scratch(visible);
            int qo = (t * heads + h) * keyDim;
            if (halfSums) {
                halfPrecisionAttention(queries, qo, keys, values, cells, visible, kRow, vRow, kvh * keyDim, kvh * valueDim, keyDim,
                        valueDim, scale, out, (t * heads + h) * valueDim);
                return;
            }
            float max = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < visible; c++) {
                float sc = Vec.dot(queries, qo, keys, cells[c] * kRow + kvh * keyDim, keyDim) * scale;
                scores[c] = sc;
                if (sc > max) max = sc;
            }
            float sum = 0f;
            for (int c = 0; c < visible; c++) {
                float e = (float) Math.exp(scores[c] - max);
                scores[c] = e;
                sum += e;
            }
            int oo = (t * heads + h) * valueDim;
            for (int c = 0; c < visible; c++) {
                Vec.axpy(scores[c] / sum, values, cells[c] * vRow + kvh * valueDim, out, oo, valueDim);
            }
        });
        return new FloatTensor(out, n, (long) heads * valueDim);
    }

    private static void roundToHalf(float[] a, int from, int n) {
        for (int i = from; i < from + n; i++) a[i] = Float.float16ToFloat(Float.floatToFloat16(a[i]));
    }

    /**
     * ggml's CPU flash attention over an F16 cache ({@code ggml_compute_forward_flash_attn_ext_f16}):
     * an online softmax whose running sum of values is kept in half precision, rescaled when a
     * larger score comes, rounded after every value added.
     */
    private static void halfPrecisionAttention(float[] q, int qo, float[] keys, float[] values, int[] cells, int visible, int kRow,
                                               int vRow, int kOff, int vOff, int keyDim, int valueDim, float scale, float[] out,
                                               int oo) {
        float max = Float.NEGATIVE_INFINITY, sum = 0f;
        short[] acc = new short[valueDim];
        for (int c = 0; c < visible; c++) {
            float s = Vec.dot(q, qo, keys, cells[c] * kRow + kOff, keyDim) * scale;
            float ms = 1f, vs = 1f;
            if (s > max) {
                float old = max;
                max = s;
                ms = (float) Math.exp(old - max);
                for (int d = 0; d < valueDim; d++) acc[d] = Float.floatToFloat16(Float.float16ToFloat(acc[d]) * ms);
            } else {
                vs = (float) Math.exp(s - max);
            }
            int vo = cells[c] * vRow + vOff;
            for (int d = 0; d < valueDim; d++) acc[d] = Float.floatToFloat16(Float.float16ToFloat(acc[d]) + values[vo + d] * vs);
            sum = sum * ms + vs;
        }
        for (int d = 0; d < valueDim; d++) out[oo + d] = Float.float16ToFloat(acc[d]) / sum;
    }

    @Override
    public Tensor conv1d(Step s, int layer, Tensor x, Tensor kernel) {
        checkAbort();
        ComputeStep step = step(s);
        FloatTensor in = floats(x), w = floats(kernel);
        StateLayout.Recurrent spec = step.memory().recurrentLayer(layer);
        int n = step.size(), channels = spec.convChannels(), width = spec.convWidth(), keep = width - 1;
        if (!Arrays.equals(in.shape(), new long[] {n, channels}) || !Arrays.equals(w.shape(), new long[] {channels, width})) {
            throw new IllegalArgumentException("conv1d of layer " + layer + ": " + in + " with kernel " + w + " do not fit " + spec);
        }
        float[] xd = in.data(), kd = w.data(), out = new float[n * channels];
        for (int t = 0; t < n; t++) {
            // the last width-1 inputs of this row's sequence, oldest first, one row of channels each
            float[] state = step.memory().convState(layer, step.sequence(t));
            for (int c = 0; c < channels; c++) {
                float sum = kd[c * width + keep] * xd[t * channels + c];
                for (int i = 0; i < keep; i++) sum += kd[c * width + i] * state[i * channels + c];
                out[t * channels + c] = sum;
            }
            System.arraycopy(state, channels, state, 0, (keep - 1) * channels);
            System.arraycopy(xd, t * channels, state, (keep - 1) * channels, channels);
        }
        return new FloatTensor(out, n, channels);
    }

    @Override
    public Tensor gatedDelta(Step s, int layer, Tensor q, Tensor k, Tensor v, Tensor g, Tensor beta) {
        checkAbort();
        ComputeStep step = step(s);
        FloatTensor fq = floats(q), fk = floats(k), fv = floats(v), fg = floats(g), fb = floats(beta);
        StateLayout.Recurrent spec = step.memory().recurrentLayer(layer);
        int n = step.size(), heads = spec.heads(), keyDim = spec.keyDim(), valueDim = spec.valueDim();
        int kHeads = (int) fq.dim(1);
        if (fq.dim(0) != n || fq.dim(2) != keyDim || !Arrays.equals(fk.shape(), fq.shape())
                || !Arrays.equals(fv.shape(), new long[] {n, heads, valueDim}) || !Arrays.equals(fg.shape(), new long[] {n, heads})
                || !Arrays.equals(fb.shape(), new long[] {n, heads}) || heads % kHeads != 0) {
            throw new IllegalArgumentException("gatedDelta of layer " + layer + ": q " + fq + ", k " + fk + ", v " + fv + ", g " + fg
                    + ", beta " + fb + " do not fit " + spec);
        }
        float[][] states = new float[n][];
        for (int t = 0; t < n; t++) states[t] = step.memory().deltaState(layer, step.sequence(t));
        float[] qd = fq.data(), kd = fk.data(), vd = fv.data(), gd = fg.data(), bd = fb.data();
        float[] out = new float[n * heads * valueDim];
        // Heads are independent; within a head the rows run in order, each updating its sequence's state.
        pool.forEach(heads, h -> {
            int hk = h % kHeads;
            float[] delta = new float[valueDim];
            for (int t = 0; t < n; t++) {
                float[] state = states[t];
                int so = h * valueDim * keyDim;     // state[h][j][i] = S[i][j]: row j contiguous over the key dim
                int ko = (t * kHeads + hk) * keyDim, vo = (t * heads + h) * valueDim;
                Vec.scale(state, so, valueDim * keyDim, (float) Math.exp(gd[t * heads + h]));
                float b = bd[t * heads + h];
                for (int j = 0; j < valueDim; j++) {
                    delta[j] = (vd[vo + j] - Vec.dot(state, so + j * keyDim, kd, ko, keyDim)) * b;
                }
                for (int j = 0; j < valueDim; j++) {
                    Vec.axpy(delta[j], kd, ko, state, so + j * keyDim, keyDim);
                    out[vo + j] = Vec.dot(state, so + j * keyDim, qd, ko, keyDim);
                }
            }
        });
        return new FloatTensor(out, n, heads, valueDim);
    }

    // ---------------------------------------------------------------- elementwise

    private enum Op { ADD, SUB, MUL, DIV }

    private static float apply(Op op, float a, float b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
        };
    }

    /** NumPy broadcasting: shapes aligned at the end, 1 or missing dimensions stretch. */
    private Tensor binary(Op op, Tensor ta, Tensor tb) {
        checkAbort();
        FloatTensor a = floats(ta), b = floats(tb);
        long[] sa = a.shape(), sb = b.shape();
        int rank = Math.max(sa.length, sb.length);
        long[] shape = new long[rank];
        for (int i = 0; i < rank; i++) {
            long da = i < rank - sa.length ? 1 : sa[i - (rank - sa.length)];
            long db = i < rank - sb.length ? 1 : sb[i - (rank - sb.length)];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + " of " + a + " and " + b + ": shapes do not broadcast");
            }
            shape[i] = Math.max(da, db);
        }
        float[] x = a.data(), y = b.data();
        float[] out = new float[Math.toIntExact(Shapes.count(shape))];
        if (x.length == out.length && y.length == out.length) {
            for (int i = 0; i < out.length; i++) out[i] = apply(op, x[i], y[i]);
        } else if (x.length == out.length && isSuffix(sb, shape)) {
            // b repeats over the leading dimensions (a weight or bias per feature)
            for (int i = 0; i < out.length; i++) out[i] = apply(op, x[i], y[i % y.length]);
        } else if (x.length == out.length && y.length > 0 && isPrefixWithOnes(sb, shape)) {
            // b holds one value per leading index (a per-row or per-head scale)
            int inner = out.length / y.length;
            for (int i = 0; i < out.length; i++) out[i] = apply(op, x[i], y[i / inner]);
        } else {
            long[] stA = strides(sa, shape), stB = strides(sb, shape);
            int[] idx = new int[rank];
            for (int i = 0; i < out.length; i++) {
                long ia = 0, ib = 0;
                for (int d = 0; d < rank; d++) {
                    ia += idx[d] * stA[d];
                    ib += idx[d] * stB[d];
                }
                out[i] = apply(op, x[(int) ia], y[(int) ib]);
                for (int d = rank - 1; d >= 0 && ++idx[d] == shape[d]; d--) idx[d] = 0;
            }
        }
        return new FloatTensor(out, shape);
    }

    /** Whether {@code s} equals the last dimensions of {@code shape} (leading ones ignored). */
    private static boolean isSuffix(long[] s, long[] shape) {
        int off = shape.length - s.length;
        for (int i = 0; i < s.length; i++) if (s[i] != shape[off + i] && !(s[i] == 1 && shape[off + i] == 1)) return false;
        return true;
    }

    /** Whether {@code s} (aligned at the end) matches {@code shape} on a prefix and is 1 after it. */
    private static boolean isPrefixWithOnes(long[] s, long[] shape) {
        int off = shape.length - s.length;
        int i = s.length - 1;
        while (i >= 0 && s[i] == 1) i--;
        for (; i >= 0; i--) if (s[i] != shape[off + i]) return false;
        for (int d = 0; d < off; d++) if (shape[d] != 1) return false;
        return true;
    }

    /** Strides of {@code s} inside the broadcast {@code shape}: 0 where it stretches. */
    private static long[] strides(long[] s, long[] shape) {
        long[] st = new long[shape.length];
        long step = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            int j = i - (shape.length - s.length);
            long d = j < 0 ? 1 : s[j];
            st[i] = d == 1 ? 0 : step;
            step *= d;
        }
        return st;
    }

    @Override
    public Tensor add(Tensor a, Tensor b) {
        return binary(Op.ADD, a, b);
    }

    @Override
    public Tensor sub(Tensor a, Tensor b) {
        return binary(Op.SUB, a, b);
    }

    @Override
    public Tensor mul(Tensor a, Tensor b) {
        return binary(Op.MUL, a, b);
    }

    @Override
    public Tensor div(Tensor a, Tensor b) {
        return binary(Op.DIV, a, b);
    }

    @FunctionalInterface
    private interface Unary {
        float apply(float x);
    }

    private Tensor unary(Tensor x, Unary f) {
        checkAbort();
        FloatTensor a = floats(x);
        float[] in = a.data(), out = new float[in.length];
        for (int i = 0; i < in.length; i++) out[i] = f.apply(in[i]);
        return new FloatTensor(out, a.shape());
    }

    @Override
    public Tensor scale(Tensor x, float s) {
        return unary(x, v -> v * s);
    }

    @Override
    public Tensor silu(Tensor x) {
        return unary(x, v -> v / (1f + (float) Math.exp(-v)));
    }

    @Override
    public Tensor gelu(Tensor x) {
        return unary(x, v -> 0.5f * v * (1f + (float) Math.tanh(0.7978845608028654 * (v + 0.044715 * v * v * v))));
    }

    @Override
    public Tensor sigmoid(Tensor x) {
        return unary(x, v -> 1f / (1f + (float) Math.exp(-v)));
    }

    @Override
    public Tensor softplus(Tensor x) {
        // ggml's threshold: above 20, log(1 + e^x) is x to float precision
        return unary(x, v -> v > 20f ? v : (float) Math.log1p(Math.exp(v)));
    }

    // ---------------------------------------------------------------- reductions

    @Override
    public Tensor softmax(Tensor x) {
        checkAbort();
        FloatTensor a = floats(x);
        int width = a.width(), rows = a.rows();
        float[] in = a.data(), out = new float[in.length];
        for (int r = 0; r < rows; r++) {
            int o = r * width;
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < width; i++) max = Math.max(max, in[o + i]);
            double sum = 0;
            for (int i = 0; i < width; i++) {
                out[o + i] = (float) Math.exp(in[o + i] - max);
                sum += out[o + i];
            }
            float inv = (float) (1.0 / sum);
            for (int i = 0; i < width; i++) out[o + i] *= inv;
        }
        return new FloatTensor(out, a.shape());
    }

    @Override
    public TopK topK(Tensor x, int k) {
        checkAbort();
        FloatTensor a = floats(x);
        int width = a.width(), rows = a.rows();
        if (k < 1 || k > width) throw new IllegalArgumentException("top " + k + " of " + a);
        float[] in = a.data(), values = new float[rows * k];
        int[] indices = new int[rows * k];
        for (int r = 0; r < rows; r++) {
            int o = r * width, base = r * k;
            // insertion into a sorted list of k: k is small (experts per token)
            int filled = 0;
            for (int i = 0; i < width; i++) {
                float v = in[o + i];
                if (filled == k && v <= values[base + k - 1]) continue;
                int j = Math.min(filled, k - 1);
                while (j > 0 && values[base + j - 1] < v) {
                    values[base + j] = values[base + j - 1];
                    indices[base + j] = indices[base + j - 1];
                    j--;
                }
                values[base + j] = v;
                indices[base + j] = i;
                if (filled < k) filled++;
            }
        }
        long[] shape = withLast(a.shape(), k);
        return new TopK(new FloatTensor(values, shape), new IntTensor(indices, shape));
    }

    @Override
    public Tensor sum(Tensor x, int axis) {
        checkAbort();
        FloatTensor a = floats(x);
        long[] s = a.shape();
        int ax = Shapes.axis(axis, s.length);
        int outer = 1, inner = 1, n = (int) s[ax];
        for (int i = 0; i < ax; i++) outer *= (int) s[i];
        for (int i = ax + 1; i < s.length; i++) inner *= (int) s[i];
        float[] in = a.data(), out = new float[outer * inner];
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < n; j++) {
                int src = (o * n + j) * inner, dst = o * inner;
                for (int i = 0; i < inner; i++) out[dst + i] += in[src + i];
            }
        }
        long[] shape = new long[s.length - 1];
        for (int i = 0, d = 0; i < s.length; i++) if (i != ax) shape[d++] = s[i];
        return new FloatTensor(out, shape);
    }

    // ---------------------------------------------------------------- shape

    @Override
    public Tensor reshape(Tensor x, long... shape) {
        FloatTensor a = floats(x);
        long[] s = shape.clone();
        int unknown = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                if (unknown >= 0) throw new IllegalArgumentException("reshape " + a + " to " + Arrays.toString(shape) + ": two -1");
                unknown = i;
            } else {
                known *= s[i];
            }
        }
        if (unknown >= 0) s[unknown] = known == 0 ? 0 : a.data().length / known;
        if (Shapes.count(s) != a.data().length) {
            throw new IllegalArgumentException("reshape " + a + " to " + Arrays.toString(shape) + ": element counts differ");
        }
        return new FloatTensor(a.data(), s);
    }

    @Override
    public Tensor slice(Tensor x, int axis, long from, long to) {
        checkAbort();
        FloatTensor a = floats(x);
        long[] s = a.shape();
        int ax = Shapes.axis(axis, s.length);
        if (from < 0 || to > s[ax] || from > to) throw new IllegalArgumentException("slice [" + from + ", " + to + ") of axis " + axis + " of " + a);
        int outer = 1, inner = 1, n = (int) s[ax], m = (int) (to - from);
        for (int i = 0; i < ax; i++) outer *= (int) s[i];
        for (int i = ax + 1; i < s.length; i++) inner *= (int) s[i];
        float[] out = new float[outer * m * inner];
        for (int o = 0; o < outer; o++) {
            System.arraycopy(a.data(), (o * n + (int) from) * inner, out, o * m * inner, m * inner);
        }
        s[ax] = m;
        return new FloatTensor(out, s);
    }

    @Override
    public Tensor concat(int axis, Tensor x, Tensor y) {
        checkAbort();
        FloatTensor a = floats(x), b = floats(y);
        long[] sa = a.shape(), sb = b.shape();
        int ax = Shapes.axis(axis, sa.length);
        for (int i = 0; i < sa.length; i++) {
            if (sb.length != sa.length || (i != ax && sa[i] != sb[i])) {
                throw new IllegalArgumentException("concat of " + a + " and " + b + " along " + axis);
            }
        }
        int outer = 1, inner = 1, na = (int) sa[ax], nb = (int) sb[ax];
        for (int i = 0; i < ax; i++) outer *= (int) sa[i];
        for (int i = ax + 1; i < sa.length; i++) inner *= (int) sa[i];
        float[] out = new float[outer * (na + nb) * inner];
        for (int o = 0; o < outer; o++) {
            System.arraycopy(a.data(), o * na * inner, out, o * (na + nb) * inner, na * inner);
            System.arraycopy(b.data(), o * nb * inner, out, (o * (na + nb) + na) * inner, nb * inner);
        }
        sa[ax] = na + nb;
        return new FloatTensor(out, sa);
    }
}
