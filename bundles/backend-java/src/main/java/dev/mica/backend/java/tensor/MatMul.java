package dev.mica.backend.java.tensor;

import static dev.mica.backend.java.tensor.Vec.F;
import static dev.mica.backend.java.tensor.Vec.L;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * {@code out = x · wᵀ} over a weight tensor's rows, split by rows across the pool.
 *
 * <p>With one to three input rows (decoding) every weight byte is read once through the format's
 * fused dot: the time goes to memory bandwidth. With more (prompt processing) a task decodes a
 * chunk of weight rows into floats once, small enough to stay in the core's L2 cache, and runs a
 * 4×4 register-blocked kernel (four weight rows against four input rows) over it: the time goes to
 * FMAs.
 */
public final class MatMul {
    /**
     * Floats of decoded weights a task keeps (256 KiB) and of inputs it runs them against at a time
     * (512 KiB): together inside a core's L2 (1 MiB on Zen 4), so each weight chunk is decoded once
     * and each input tile read from L3 once per chunk.
     */
    private static final int CHUNK_FLOATS = 64 * 1024;
    private static final int TILE_FLOATS = 128 * 1024;
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[CHUNK_FLOATS]);

    private MatMul() {}

    /**
     * Rows {@code [rowBase, rowBase + outRows)} of {@code w} times {@code n} input rows of
     * {@code x} (length {@code w.rowLength()} each, from {@code xOffset}): writes
     * {@code out[outOffset + t·outRows + r]}.
     */
    public static void linear(Parallel pool, WeightTensor w, long rowBase, int outRows, float[] x, int xOffset, int n,
                              float[] out, int outOffset) {
        int in = w.rowLength();
        WeightFormat format = w.format();
        MemorySegment data = w.data();
        if (n < 4) {
            // Eight tasks per thread: a thread that the OS preempts holds up the others for one task
            // only, while each task's hand-out (a contended counter) stays small beside its work.
            // Sixteen per thread cost 5–20% on the 1B model's matrices on a quiet machine (a 512-row
            // matrix is 20–50 µs of work in all); four gained a little more than eight on those.
            int chunk = Math.max(16, (outRows + pool.threads() * 8 - 1) / (pool.threads() * 8));
            int tasks = (outRows + chunk - 1) / chunk;
            boolean pairs = format.pairsRows(in);
            pool.forEach(tasks, task -> {
                // Where the format gains by it, rows paired half a task apart: each pair reads the
                // input once, and its two rows lie in distinct pages, two sequential streams to the
                // hardware prefetcher (adjacent rows, interleaved within a page, defeat it).
                int r0 = task * chunk, r1 = Math.min(outRows, r0 + chunk), half = pairs ? (r1 - r0) / 2 : 0;
                for (int r = r0; r < r0 + half; r++) {
                    long a0 = w.rowOffset(rowBase + r), a1 = w.rowOffset(rowBase + r + half);
                    for (int t = 0; t < n; t++) {
                        int o = outOffset + t * outRows + r;
                        format.dot2(data, a0, a1, x, xOffset + t * in, in, out, o, o + half);
                    }
                }
                for (int r = r0 + 2 * half; r < r1; r++) {
                    long at = w.rowOffset(rowBase + r);
                    for (int t = 0; t < n; t++) out[outOffset + t * outRows + r] = format.dot(data, at, x, xOffset + t * in, in);
                }
            });
            return;
        }
        // Rows per task: a multiple of 4 that fits the scratch, but enough tasks to keep every thread busy.
        int fit = Math.max(4, (CHUNK_FLOATS / in) & ~3);
        int share = Math.max(4, ((outRows + pool.threads() * 2 - 1) / (pool.threads() * 2) + 3) & ~3);
        int chunk = Math.min(fit, share);
        int tasks = (outRows + chunk - 1) / chunk;
        pool.forEach(tasks, task -> {
            int r0 = task * chunk, r1 = Math.min(outRows, r0 + chunk), rows = r1 - r0;
            float[] scratch = SCRATCH.get();
            if (scratch.length < rows * in) SCRATCH.set(scratch = new float[rows * in]);
            for (int r = 0; r < rows; r++) format.dequantize(data, w.rowOffset(rowBase + r0 + r), scratch, r * in, in);
            block(scratch, rows, in, x, xOffset, n, out, outOffset, outRows, r0);
        });
    }

    /** Decoded rows {@code w[0, rows)} (row-major in scratch) against all n inputs, tile by tile, 4×4 at a time. */
    private static void block(float[] w, int rows, int in, float[] x, int xOffset, int n, float[] out, int outOffset,
                              int outRows, int r0) {
        int tile = Math.max(4, (TILE_FLOATS / in) & ~3);
        for (int t0 = 0; t0 < n; t0 += tile) {
            int t1 = Math.min(n, t0 + tile);
            int r = 0;
            for (; r + 4 <= rows; r += 4) {
                int t = t0;
                for (; t + 4 <= t1; t += 4) {
                    kernel4x4(w, r * in, in, x, xOffset + t * in, out, outOffset + t * outRows + r0 + r, outRows);
                }
                for (; t < t1; t++) {
                    for (int k = 0; k < 4; k++) {
                        out[outOffset + t * outRows + r0 + r + k] = Vec.dot(w, (r + k) * in, x, xOffset + t * in, in);
                    }
                }
            }
            for (; r < rows; r++) {
                for (int t = t0; t < t1; t++) out[outOffset + t * outRows + r0 + r] = Vec.dot(w, r * in, x, xOffset + t * in, in);
            }
        }
    }

    /** Four weight rows (from {@code wo}, stride in) against four inputs (from {@code xo}, stride in). */
    private static void kernel4x4(float[] w, int wo, int in, float[] x, int xo, float[] out, int oo, int outRows) {
        if (!Vec.ENABLED || in % L != 0) {
            for (int t = 0; t < 4; t++) {
                for (int k = 0; k < 4; k++) out[oo + t * outRows + k] = Vec.dot(w, wo + k * in, x, xo + t * in, in);
            }
            return;
        }
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        for (int i = 0; i < in; i += L) {
            FloatVector w0 = FloatVector.fromArray(F, w, wo + i);
            FloatVector w1 = FloatVector.fromArray(F, w, wo + in + i);
            FloatVector w2 = FloatVector.fromArray(F, w, wo + 2 * in + i);
            FloatVector w3 = FloatVector.fromArray(F, w, wo + 3 * in + i);
            FloatVector x0 = FloatVector.fromArray(F, x, xo + i);
            a00 = w0.fma(x0, a00);
            a01 = w1.fma(x0, a01);
            a02 = w2.fma(x0, a02);
            a03 = w3.fma(x0, a03);
            FloatVector x1 = FloatVector.fromArray(F, x, xo + in + i);
            a10 = w0.fma(x1, a10);
            a11 = w1.fma(x1, a11);
            a12 = w2.fma(x1, a12);
            a13 = w3.fma(x1, a13);
            FloatVector x2 = FloatVector.fromArray(F, x, xo + 2 * in + i);
            a20 = w0.fma(x2, a20);
            a21 = w1.fma(x2, a21);
            a22 = w2.fma(x2, a22);
            a23 = w3.fma(x2, a23);
            FloatVector x3 = FloatVector.fromArray(F, x, xo + 3 * in + i);
            a30 = w0.fma(x3, a30);
            a31 = w1.fma(x3, a31);
            a32 = w2.fma(x3, a32);
            a33 = w3.fma(x3, a33);
        }
        out[oo] = Vec.sum(a00);
        out[oo + 1] = Vec.sum(a01);
        out[oo + 2] = Vec.sum(a02);
        out[oo + 3] = Vec.sum(a03);
        out[oo + outRows] = Vec.sum(a10);
        out[oo + outRows + 1] = Vec.sum(a11);
        out[oo + outRows + 2] = Vec.sum(a12);
        out[oo + outRows + 3] = Vec.sum(a13);
        out[oo + 2 * outRows] = Vec.sum(a20);
        out[oo + 2 * outRows + 1] = Vec.sum(a21);
        out[oo + 2 * outRows + 2] = Vec.sum(a22);
        out[oo + 2 * outRows + 3] = Vec.sum(a23);
        out[oo + 3 * outRows] = Vec.sum(a30);
        out[oo + 3 * outRows + 1] = Vec.sum(a31);
        out[oo + 3 * outRows + 2] = Vec.sum(a32);
        out[oo + 3 * outRows + 3] = Vec.sum(a33);
    }
}
