package dev.mica.mlx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mica.api.arch.Rope;
import dev.mica.api.arch.Tensor;
import dev.mica.api.arch.TopK;
import dev.mica.mlx.ffm.Mlx;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** MlxOps against plain Java arithmetic, op by op. */
class MlxOpsTest {
    private MlxRuntime rt;
    private MlxOps ops;
    private final List<MemorySegment> inputs = new ArrayList<>();
    private final SplittableRandom random = new SplittableRandom(11);

    @BeforeEach
    void start() throws Exception {
        rt = MlxTesting.runtime();
        ops = new MlxOps(rt, () -> false, () -> null);
    }

    @AfterEach
    void free() {
        if (rt == null) return;
        rt.run(() -> {
            ops.close();
            inputs.forEach(rt.mlx()::free);
        });
    }

    private <T> T on(Callable<T> c) {
        return rt.call(c);
    }

    private float[] rand(int n) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) random.nextDouble(-1, 1);
        return f;
    }

    private Tensor tensor(float[] data, long... shape) {
        int[] s = new int[shape.length];
        for (int i = 0; i < s.length; i++) s[i] = (int) shape[i];
        return on(() -> {
            MemorySegment h = rt.mlx().array(MemorySegment.ofArray(data), s, Mlx.FLOAT32);
            inputs.add(h);
            return new MlxTensor(h, shape, "f32");
        });
    }

    private float[] read(Tensor t) {
        return on(() -> ops.read(t));
    }

    private static void close(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, "length");
        for (int i = 0; i < expected.length; i++) assertEquals(expected[i], actual[i], 1e-5 + 1e-5 * Math.abs(expected[i]), "element " + i);
    }

    @Test
    void matmulIsXTimesWTransposed() {
        float[] x = rand(3 * 8), w = rand(5 * 8);
        float[] expected = new float[3 * 5];
        for (int i = 0; i < 3; i++) for (int o = 0; o < 5; o++) for (int k = 0; k < 8; k++) expected[i * 5 + o] += x[i * 8 + k] * w[o * 8 + k];
        Tensor tx = tensor(x, 3, 8), tw = tensor(w, 5, 8);
        Tensor r = on(() -> ops.matmul(tx, tw));
        assertArrayEquals(new long[] {3, 5}, r.shape());
        close(expected, read(r));
    }

    @Test
    void rmsNormSoftmaxAndActivations() {
        float[] x = rand(2 * 6), w = rand(6);
        Tensor tx = tensor(x, 2, 6), tw = tensor(w, 6);
        float[] norm = new float[12], soft = new float[12], silu = new float[12], gelu = new float[12], plus = new float[12];
        for (int r = 0; r < 2; r++) {
            double ss = 0, max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int i = 0; i < 6; i++) {
                ss += x[r * 6 + i] * x[r * 6 + i];
                max = Math.max(max, x[r * 6 + i]);
            }
            for (int i = 0; i < 6; i++) sum += Math.exp(x[r * 6 + i] - max);
            for (int i = 0; i < 6; i++) {
                float v = x[r * 6 + i];
                norm[r * 6 + i] = (float) (v / Math.sqrt(ss / 6 + 1e-5) * w[i]);
                soft[r * 6 + i] = (float) (Math.exp(v - max) / sum);
                silu[r * 6 + i] = (float) (v / (1 + Math.exp(-v)));
                gelu[r * 6 + i] = (float) (0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))));
                plus[r * 6 + i] = (float) Math.log1p(Math.exp(v));
            }
        }
        close(norm, read(on(() -> ops.rmsNorm(tx, tw, 1e-5f))));
        close(soft, read(on(() -> ops.softmax(tx))));
        close(silu, read(on(() -> ops.silu(tx))));
        close(gelu, read(on(() -> ops.gelu(tx))));
        close(plus, read(on(() -> ops.softplus(tx))));
    }

    /** Both styles, partial rotation, and positions in two runs (two sequences in one batch). */
    @Test
    void ropeRotatesLikeTheJavaFormula() {
        int tokens = 4, heads = 2, dim = 8, dims = 6;
        float[] x = rand(tokens * heads * dim);
        int[] positions = {5, 6, 0, 1};
        for (Rope.Style style : Rope.Style.values()) {
            Rope rope = new Rope(dims, 10000f, 0.5f, style);
            float[] expected = x.clone();
            for (int t = 0; t < tokens; t++) {
                for (int h = 0; h < heads; h++) {
                    int o = (t * heads + h) * dim;
                    for (int i = 0; i < dims / 2; i++) {
                        double theta = positions[t] * 0.5 * Math.pow(10000, -2.0 * i / dims);
                        int i0 = style == Rope.Style.NEOX ? o + i : o + 2 * i, i1 = style == Rope.Style.NEOX ? o + i + dims / 2 : o + 2 * i + 1;
                        expected[i0] = (float) (x[i0] * Math.cos(theta) - x[i1] * Math.sin(theta));
                        expected[i1] = (float) (x[i0] * Math.sin(theta) + x[i1] * Math.cos(theta));
                    }
                }
            }
            Tensor tx = tensor(x, tokens, heads, dim);
            close(expected, read(on(() -> ops.rope(tx, positions, rope, null))));
        }
    }

    @Test
    void topKIsDescendingWithIndices() {
        float[] x = {0.1f, 0.9f, -0.3f, 0.5f, 0.7f, 0.2f};
        Tensor tx = tensor(x, 1, 6);
        TopK top = on(() -> ops.topK(tx, 3));
        close(new float[] {0.9f, 0.7f, 0.5f}, read(top.values()));
        assertEquals("i32", top.indices().type());
        assertArrayEquals(new int[] {1, 4, 3}, on(() -> rt.mlx().ints(((MlxTensor) top.indices()).array())));
    }

    @Test
    void shapeOpsAndSums() {
        float[] x = rand(2 * 3 * 4);
        Tensor tx = tensor(x, 2, 3, 4);
        Tensor s = on(() -> ops.slice(tx, -1, 1, 3));
        assertArrayEquals(new long[] {2, 3, 2}, s.shape());
        float[] expected = new float[12];
        for (int i = 0; i < 6; i++) for (int j = 0; j < 2; j++) expected[i * 2 + j] = x[i * 4 + 1 + j];
        close(expected, read(s));
        Tensor c = on(() -> ops.concat(-1, s, s));
        assertArrayEquals(new long[] {2, 3, 4}, c.shape());
        float[] sum = new float[2 * 4];
        for (int a = 0; a < 2; a++) for (int b = 0; b < 3; b++) for (int d = 0; d < 4; d++) sum[a * 4 + d] += x[(a * 3 + b) * 4 + d];
        close(sum, read(on(() -> ops.sum(tx, 1))));
        assertArrayEquals(new long[] {6, 4}, on(() -> ops.reshape(tx, -1, 4)).shape());
        float[] rows = new float[8];
        System.arraycopy(x, 12, rows, 0, 4);
        System.arraycopy(x, 0, rows, 4, 4);
        Tensor flat = tensor(x, 6, 4);
        close(new float[] {x[12], x[13], x[14], x[15], x[0], x[1], x[2], x[3]}, read(on(() -> ops.rows(flat, new int[] {3, 0}))));
        Tensor b = tensor(new float[] {2f, 4f, 8f, 16f}, 4);
        float[] divided = new float[24], scaled = new float[24];
        for (int i = 0; i < 24; i++) {
            divided[i] = x[i] / new float[] {2f, 4f, 8f, 16f}[i % 4];
            scaled[i] = x[i] * 3f;
        }
        close(divided, read(on(() -> ops.div(tx, b))));
        close(scaled, read(on(() -> ops.scale(tx, 3f))));
    }

    /** Each (token, slot) multiplies by its own expert. */
    @Test
    void gatherMatmulPicksExperts() {
        int tokens = 2, k = 2, experts = 3, in = 4, out = 5;
        float[] x = rand(tokens * in), w = rand(experts * out * in);
        int[][] pick = {{2, 0}, {1, 2}};
        float[] expected = new float[tokens * k * out];
        for (int t = 0; t < tokens; t++)
            for (int j = 0; j < k; j++)
                for (int o = 0; o < out; o++)
                    for (int c = 0; c < in; c++) expected[(t * k + j) * out + o] += x[t * in + c] * w[(pick[t][j] * out + o) * in + c];
        Tensor tx = tensor(x, tokens, in), tw = tensor(w, experts, out, in);
        Tensor idx = on(() -> {
            MemorySegment h = rt.mlx().array(MemorySegment.ofArray(new int[] {2, 0, 1, 2}), new int[] {2, 2}, Mlx.INT32);
            inputs.add(h);
            return new MlxTensor(h, new long[] {2, 2}, "i32");
        });
        Tensor r = on(() -> ops.gatherMatmul(tx, tw, idx));
        assertArrayEquals(new long[] {tokens, k, out}, r.shape());
        close(expected, read(r));
    }
}
