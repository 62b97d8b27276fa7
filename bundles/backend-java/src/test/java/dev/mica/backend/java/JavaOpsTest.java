package dev.mica.backend.java;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mica.api.arch.Rope;
import dev.mica.api.arch.Tensor;
import dev.mica.api.arch.TopK;
import dev.mica.backend.java.tensor.FloatTensor;
import dev.mica.backend.java.tensor.IntTensor;
import dev.mica.backend.java.tensor.Parallel;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The elementwise, shape and reduction ops against what they are defined to compute. */
class JavaOpsTest {
    private final Parallel pool = new Parallel(2, "test");
    private final AtomicBoolean abort = new AtomicBoolean();
    private final JavaOps ops = new JavaOps(pool, abort::get, Numerics.EXACT);

    @AfterEach
    void close() {
        pool.close();
    }

    private static FloatTensor t(float[] v, long... shape) {
        return new FloatTensor(v, shape);
    }

    private static float[] d(Tensor t) {
        return ((FloatTensor) t).data();
    }

    @Test
    void binaryOpsBroadcastLikeNumPy() {
        FloatTensor a = t(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertArrayEquals(new float[] {2, 4, 6, 8, 10, 12}, d(ops.add(a, a)));
        assertArrayEquals(new float[] {11, 22, 33, 14, 25, 36}, d(ops.add(a, t(new float[] {10, 20, 30}, 3))));        // a feature vector
        assertArrayEquals(new float[] {2, 4, 6, 12, 15, 18}, d(ops.mul(a, t(new float[] {2, 3}, 2, 1))));              // one value per row
        assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5}, d(ops.sub(a, t(new float[] {1}, 1))));
        assertArrayEquals(new float[] {1, 1, 1, 4, 2.5f, 2}, d(ops.div(a, t(new float[] {1, 2, 3, 1, 2, 3}, 2, 3))));
        // [2, 1, 3] × [1, 2, 1]: both stretch
        FloatTensor b = t(new float[] {1, 2, 3, 4, 5, 6}, 2, 1, 3);
        Tensor c = ops.mul(b, t(new float[] {10, 100}, 1, 2, 1));
        assertArrayEquals(new long[] {2, 2, 3}, c.shape());
        assertArrayEquals(new float[] {10, 20, 30, 100, 200, 300, 40, 50, 60, 400, 500, 600}, d(c));
        assertThrows(IllegalArgumentException.class, () -> ops.add(a, t(new float[] {1, 2}, 2)));
    }

    @Test
    void shapeOps() {
        FloatTensor a = t(new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 2, 2, 3);
        assertArrayEquals(new long[] {4, 3}, ops.reshape(a, -1, 3).shape());
        assertThrows(IllegalArgumentException.class, () -> ops.reshape(a, 5, -1));
        Tensor s = ops.slice(a, 2, 1, 3);
        assertArrayEquals(new long[] {2, 2, 2}, s.shape());
        assertArrayEquals(new float[] {1, 2, 4, 5, 7, 8, 10, 11}, d(s));
        assertArrayEquals(new float[] {6, 7, 8, 9, 10, 11}, d(ops.slice(a, 0, 1, 2)));
        Tensor c = ops.concat(-1, ops.slice(a, 2, 0, 1), s);
        assertArrayEquals(d(a), d(c));
        assertArrayEquals(new float[] {3, 5, 7, 15, 17, 19}, d(ops.sum(a, 1)));
        assertArrayEquals(new float[] {3, 12, 21, 30}, d(ops.sum(a, -1)));
        assertArrayEquals(new float[] {6, 7, 8, 0, 1, 2}, d(ops.rows(ops.reshape(a, 4, 3), new int[] {2, 0})));
    }

    @Test
    void softmaxTopKAndActivations() {
        FloatTensor x = t(new float[] {1, 3, 2, 0.5f, -1, 4, 4.5f, 0}, 2, 4);
        float[] p = d(ops.softmax(x));
        double z = Math.exp(1) + Math.exp(3) + Math.exp(2) + Math.exp(0.5);
        assertEquals(Math.exp(3) / z, p[1], 1e-6);
        TopK top = ops.topK(x, 2);
        assertArrayEquals(new int[] {1, 2, 2, 1}, ((IntTensor) top.indices()).data());
        assertArrayEquals(new float[] {3, 2, 4.5f, 4}, d(top.values()));
        assertEquals(2f / (1 + (float) Math.exp(-2)), d(ops.silu(t(new float[] {2}, 1)))[0], 1e-6);
        assertEquals(0.7310586f, d(ops.sigmoid(t(new float[] {1}, 1)))[0], 1e-6);
        assertEquals((float) Math.log1p(Math.exp(0.3)), d(ops.softplus(t(new float[] {0.3f}, 1)))[0], 1e-6);
        assertEquals(25f, d(ops.softplus(t(new float[] {25f}, 1)))[0]);
        assertEquals(0.8411920f, d(ops.gelu(t(new float[] {1}, 1)))[0], 1e-5);
        assertArrayEquals(new float[] {3, -1.5f}, d(ops.scale(t(new float[] {2, -1}, 2), 1.5f)));
    }

    @Test
    void rmsNormScalesEachRow() {
        FloatTensor x = t(new float[] {3, 4, 0, 0, 1, 1}, 3, 2);
        float[] y = d(ops.rmsNorm(x, t(new float[] {1, 2}, 2), 1e-6f));
        float s = (float) (1 / Math.sqrt(12.5 + 1e-6));
        assertArrayEquals(new float[] {3 * s, 8 * s, 0, 0, 1, 2}, y, 1e-6f);
    }

    /** NORMAL rotates adjacent pairs, NEOX the two halves; dims below the head size leave the rest alone. */
    @Test
    void ropeRotatesThePairsItShould() {
        float[] v = {1, 2, 3, 4, 5, 6, 7, 8};
        int pos = 3;
        double base = 100;
        float[] normal = d(ops.rope(t(v, 1, 1, 8), new int[] {pos}, new Rope(4, (float) base, 1f, Rope.Style.NORMAL), null));
        float[] neox = d(ops.rope(t(v, 1, 1, 8), new int[] {pos}, new Rope(4, (float) base, 1f, Rope.Style.NEOX), null));
        float[] scaled = d(ops.rope(t(v, 1, 1, 8), new int[] {pos}, new Rope(4, (float) base, 0.5f, Rope.Style.NEOX),
                t(new float[] {1, 2}, 2)));
        for (int i = 0; i < 2; i++) {
            double theta = pos * Math.pow(base, -2.0 * i / 4);
            double c = Math.cos(theta), s = Math.sin(theta);
            assertEquals(v[2 * i] * c - v[2 * i + 1] * s, normal[2 * i], 1e-5);
            assertEquals(v[2 * i] * s + v[2 * i + 1] * c, normal[2 * i + 1], 1e-5);
            assertEquals(v[i] * c - v[i + 2] * s, neox[i], 1e-5);
            assertEquals(v[i] * s + v[i + 2] * c, neox[i + 2], 1e-5);
            double t2 = pos * 0.5 * Math.pow(base, -2.0 * i / 4) / (i + 1);
            assertEquals(v[i] * Math.cos(t2) - v[i + 2] * Math.sin(t2), scaled[i], 1e-5);
        }
        for (int i = 4; i < 8; i++) {
            assertEquals(v[i], normal[i]);
            assertEquals(v[i], neox[i]);
        }
    }

    @Test
    void anAbortStopsTheNextOp() {
        abort.set(true);
        assertThrows(JavaOps.Aborted.class, () -> ops.silu(t(new float[] {1}, 1)));
    }
}
