package dev.mica.mlx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.arch.Tensor;
import dev.mica.mlx.ffm.Mlx;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * With libmlxc (MLX on the CPU here; skipped without it): the Java reference of the fused NVFP4
 * expert kernel ({@link Nvfp4ExpertReference}) against MLX's own nvfp4 {@code gather_qmm} and
 * {@code dequantize}, on random data in ragged expert groups (empty groups, a one-row group, tiles
 * straddling experts, rows and columns not multiples of the tile); the sort-by-expert plumbing
 * {@link MlxOps} wraps around the kernel, with MLX's sorted gather_qmm in the kernel's place; and
 * that the CPU route never has the kernel. The Metal and CUDA kernels themselves do not run here.
 */
class ExpertKernelMlxTest {
    private static final int E = 5, N = 72, K = 96;
    private static final int[] GROUPS = {0, 45, 1, 70, 34};   // 150 rows: 4 full tiles and 22 rows, several straddling experts

    @Test
    void theReferenceAlgorithmMatchesMlxGatherQmm() throws Exception {
        MlxRuntime rt = MlxTesting.runtime();
        SplittableRandom random = new SplittableRandom(2026);
        float[] w = new float[E * N * K];
        for (int i = 0; i < w.length; i++) w[i] = (float) (random.nextGaussian() * Math.exp(random.nextDouble(-3, 2)));
        MlxFormatModels.Quantized q = MlxFormatModels.quantize(rt, w, E * N, K, "nvfp4", 4, 16);
        int rows = 0;
        for (int g : GROUPS) rows += g;
        int[] idx = new int[rows];
        for (int e = 0, at = 0; e < E; e++) for (int j = 0; j < GROUPS[e]; j++) idx[at++] = e;
        float[] x = new float[rows * K];
        for (int i = 0; i < x.length; i++) x[i] = (float) (random.nextGaussian() * 3);
        float[] xHalf = x.clone();
        for (int i = 0; i < xHalf.length; i++) xHalf[i] = Float.float16ToFloat(Float.floatToFloat16(xHalf[i]));

        // the weights as the kernel stages them are MLX's dequantization, bit for bit
        float[] mlxWeights = MlxFormatModels.dequantizeByMlx(rt, q);
        for (int e = 0; e < E; e++)
            for (int r = 0; r < N; r++)
                for (int c = 0; c < K; c++) {
                    float mine = Nvfp4ExpertReference.weight(q.words(), q.scaleBytes(), N, K, e, r, c);
                    assertEquals(Float.floatToIntBits(mlxWeights[(e * N + r) * K + c]), Float.floatToIntBits(mine + 0f), "weight " + e + "," + r + "," + c);
                }

        float[] mlxFloat = gatherQmm(rt, q, x, idx), mlxHalf = gatherQmm(rt, q, xHalf, idx);
        float[] refFloat = Nvfp4ExpertReference.matmul(x, rows, K, N, q.words(), q.scaleBytes(), idx, false);
        float[] refHalf = Nvfp4ExpertReference.matmul(x, rows, K, N, q.words(), q.scaleBytes(), idx, true);
        double simdgroup = relative(refFloat, mlxFloat), tensorOps = relative(refHalf, mlxHalf), halfCost = relative(refHalf, mlxFloat);
        System.out.printf("nvfp4 experts (%d rows, K %d, N %d): reference vs MLX gather_qmm %.1e (float x, simdgroup variant), "
                + "%.1e (half x, tensor-ops/CUDA variants, against MLX on the same half x), %.1e (half x against float x)%n", rows, K, N,
                simdgroup, tensorOps, halfCost);
        assertEquals(0, simdgroup, 1e-5);
        assertEquals(0, tensorOps, 1e-5);
        assertEquals(0, halfCost, 2e-3, "rounding x to half costs about 2^-11");
        assertTrue(halfCost > 0, "the half variant does round x");
    }

    /** MLX's gather_qmm, sorted indices, from the packed bytes: x [rows, 1, K], one expert per row. */
    private static float[] gatherQmm(MlxRuntime rt, MlxFormatModels.Quantized q, float[] x, int[] idx) {
        return rt.call(() -> {
            Mlx mlx = rt.mlx();
            List<MemorySegment> made = new ArrayList<>();
            try {
                made.add(mlx.array(MemorySegment.ofArray(q.words()), new int[] {E, N, K / 8}, Mlx.UINT32));
                byte[] bytes = new byte[q.scaleBytes().length];
                for (int i = 0; i < bytes.length; i++) bytes[i] = (byte) q.scaleBytes()[i];
                made.add(mlx.array(MemorySegment.ofArray(bytes), new int[] {E, N, K / 16}, Mlx.UINT8));
                made.add(mlx.array(MemorySegment.ofArray(x), new int[] {idx.length, 1, K}, Mlx.FLOAT32));
                made.add(mlx.array(MemorySegment.ofArray(idx), new int[] {idx.length}, Mlx.INT32));
                MemorySegment out = mlx.op("mlx_gather_qmm", made.get(2), made.get(0), made.get(1), MemorySegment.NULL, MemorySegment.NULL,
                        made.get(3), true, mlx.optInt(false, 16), mlx.optInt(true, 4), mlx.cstring("nvfp4"), true);
                made.add(out);
                assertArrayEquals(new int[] {idx.length, 1, N}, mlx.shape(out));
                return mlx.floats(out);
            } finally {
                made.forEach(mlx::free);
            }
        });
    }

    private static double relative(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double worst = 0, scale = 0;
        for (int i = 0; i < a.length; i++) {
            assertTrue(Float.isFinite(a[i]) && Float.isFinite(b[i]), "element " + i);
            worst = Math.max(worst, Math.abs(a[i] - b[i]));
            scale = Math.max(scale, Math.abs(b[i]));
        }
        return worst / scale;
    }

    /** The CPU route: no custom kernel at all, and the route says so. */
    @Test
    void theCpuRouteNeverHasTheKernel() throws Exception {
        MlxRuntime rt = MlxTesting.runtime();
        if (rt.gpu()) return;   // a Mac or a CUDA build: not this test's subject
        assertNull(rt.expertKernel());
        assertNull(rt.metalKernels());
        assertTrue(rt.route().startsWith("MLX on CPU, MLX "), rt.route());
        assertFalse(rt.route().contains("fused"), rt.route());
    }

    /**
     * What MlxOps wraps around the kernel: (token, slot) rows sorted by expert, the matmul over the
     * sorted rows, the result put back in order. With MLX's sorted gather_qmm standing in for the
     * kernel, it equals MlxOps' ordinary gatherMatmul, for x [T, in] (shared by the slots) and [T, k, in].
     */
    @Test
    void sortingByExpertAndBackGivesTheUnsortedResult() throws Exception {
        MlxRuntime rt = MlxTesting.runtime();
        MlxOps ops = new MlxOps(rt, () -> false, () -> null);
        SplittableRandom random = new SplittableRandom(5);
        int experts = 6, in = 64, out = 40, tokens = 37, k = 3;
        float[] w = new float[experts * out * in];
        for (int i = 0; i < w.length; i++) w[i] = (float) random.nextGaussian();
        MlxFormatModels.Quantized q = MlxFormatModels.quantize(rt, w, experts * out, in, "nvfp4", 4, 16);
        int[] pick = new int[tokens * k];
        for (int t = 0; t < tokens; t++) {
            for (int j = 0; j < k; j++) pick[t * k + j] = (t * 7 + j * (1 + t % 2) + (t > 30 ? 1 : 0)) % 5;   // expert 5 never picked
        }
        float[] x2 = new float[tokens * in], x3 = new float[tokens * k * in];
        for (int i = 0; i < x2.length; i++) x2[i] = (float) random.nextGaussian();
        for (int i = 0; i < x3.length; i++) x3[i] = (float) random.nextGaussian();
        List<MemorySegment> made = new ArrayList<>();
        try {
            rt.run(() -> {
                Mlx mlx = rt.mlx();
                MemorySegment wa = mlx.array(MemorySegment.ofArray(q.words()), new int[] {experts, out, in / 8}, Mlx.UINT32);
                byte[] bytes = new byte[q.scaleBytes().length];
                for (int i = 0; i < bytes.length; i++) bytes[i] = (byte) q.scaleBytes()[i];
                MemorySegment sa = mlx.array(MemorySegment.ofArray(bytes), new int[] {experts, out, in / 16}, Mlx.UINT8);
                MemorySegment ia = mlx.array(MemorySegment.ofArray(pick), new int[] {tokens, k}, Mlx.INT32);
                MemorySegment xa2 = mlx.array(MemorySegment.ofArray(x2), new int[] {tokens, in}, Mlx.FLOAT32);
                MemorySegment xa3 = mlx.array(MemorySegment.ofArray(x3), new int[] {tokens, k, in}, Mlx.FLOAT32);
                made.addAll(List.of(wa, sa, ia, xa2, xa3));
                Tensor weight = new MlxTensor(wa, new long[] {experts, out, in}, "mlx-nvfp44", new MlxTensor.Quant(sa, null, 16, 4, "nvfp4"));
                Tensor idx = new MlxTensor(ia, new long[] {tokens, k}, "i32");
                for (Tensor x : List.of(new MlxTensor(xa2, new long[] {tokens, in}, "f32"), new MlxTensor(xa3, new long[] {tokens, k, in}, "f32"))) {
                    Tensor plain = ops.gatherMatmul(x, weight, idx);
                    Tensor sorted = ops.gatherMatmulSorted(x, weight, idx, (rowsX, sortedIdx) -> {
                        int rows = mlx.shape(rowsX)[0];
                        MemorySegment r3 = mlx.op("mlx_reshape", rowsX, mlx.scratchInts(new int[] {rows, 1, in}), 3L);
                        MemorySegment y = mlx.op("mlx_gather_qmm", r3, wa, sa, MemorySegment.NULL, MemorySegment.NULL, sortedIdx, true,
                                mlx.optInt(false, 16), mlx.optInt(true, 4), mlx.cstring("nvfp4"), true);
                        MemorySegment y2 = mlx.op("mlx_reshape", y, mlx.scratchInts(new int[] {rows, out}), 2L);
                        mlx.free(r3);
                        mlx.free(y);
                        return y2;
                    });
                    assertArrayEquals(new long[] {tokens, k, out}, sorted.shape());
                    float[] a = ops.read(plain), b = ops.read(sorted);
                    assertEquals(0, relative(b, a), 1e-6, "x " + java.util.Arrays.toString(x.shape()));
                }
            });
        } finally {
            rt.run(() -> {
                ops.close();
                made.forEach(rt.mlx()::free);
            });
        }
    }
}
