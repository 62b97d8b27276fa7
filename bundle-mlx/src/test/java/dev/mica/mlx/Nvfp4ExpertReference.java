package dev.mica.mlx;

/**
 * The fused NVFP4 expert kernel's algorithm in plain Java, step for step as the Metal and CUDA
 * sources write it (kernels/nvfp4_expert_matmul.*): BM×BN output tiles; within a tile, one pass per
 * run of equal expert indices with the rows outside the run zeroed; per pass, BK-wide slices of x and
 * of the expert's weights dequantized as the kernel does (E4M3 scale × E2M1 value, in half, which is
 * exact); float accumulation, one partial sum per slice added to the tile's accumulator (the
 * hardware's order inside a slice is its own; this is the order the reference fixes). {@code halfX}:
 * x rounded to half as the tensor-ops and CUDA variants stage it; false: float, as the simdgroup variant.
 */
final class Nvfp4ExpertReference {
    private Nvfp4ExpertReference() {}

    private static final float[] E2M1 = {0f, 0.5f, 1f, 1.5f, 2f, 3f, 4f, 6f};

    /** The kernel's mica_e4m3: OCP E4M3 through half's bits (exact), NaN for S.1111.111. */
    static float e4m3(int v) {
        int e = (v >>> 3) & 15, m = v & 7;
        float h;
        if (e == 15 && m == 7) h = Float.NaN;
        else if (e == 0) h = Float.float16ToFloat(Float.floatToFloat16(m * 0.001953125f));
        else h = Float.float16ToFloat((short) (((e + 8) << 10) | (m << 7)));
        return (v & 0x80) != 0 ? -h : h;
    }

    static float e2m1(int nibble) {
        float m = E2M1[nibble & 7];
        return (nibble & 8) != 0 ? -m : m;
    }

    /** One weight value as the kernel stages it: half(scale × value), back to float. */
    static float weight(int[] words, int[] scaleBytes, int n, int k, int e, int row, int col) {
        int word = words[(e * n + row) * (k / 8) + col / 8];
        int nibble = (word >>> (4 * (col % 8))) & 15;
        float s = e4m3(scaleBytes[(e * n + row) * (k / 16) + col / 16] & 0xFF);
        return Float.float16ToFloat(Float.floatToFloat16(s * e2m1(nibble)));
    }

    /**
     * {@code out [rows, n]} from {@code x [rows, k]}, {@code words [E, n, k/8]}, {@code scaleBytes [E, n, k/16]}
     * and {@code indices [rows]} (ascending).
     */
    static float[] matmul(float[] x, int rows, int k, int n, int[] words, int[] scaleBytes, int[] indices, boolean halfX) {
        int bm = ExpertKernel.BM, bn = ExpertKernel.BN, bk = ExpertKernel.BK;
        if (k % bk != 0) throw new IllegalArgumentException("k " + k);
        for (int r = 1; r < rows; r++) if (indices[r] < indices[r - 1]) throw new IllegalArgumentException("indices not sorted at " + r);
        float[] out = new float[rows * n];
        float[] xs = new float[bm * bk], ws = new float[bn * bk], acc = new float[bm * bn];
        for (int row0 = 0; row0 < rows; row0 += bm) {
            for (int col0 = 0; col0 < n; col0 += bn) {
                int tileRows = Math.min(bm, rows - row0);
                java.util.Arrays.fill(acc, 0f);
                int start = 0;
                while (start < tileRows) {
                    int e = indices[row0 + start], end = start + 1;
                    while (end < tileRows && indices[row0 + end] == e) end++;
                    for (int k0 = 0; k0 < k; k0 += bk) {
                        for (int i = 0; i < bm * bk; i++) {
                            int r = i / bk, c = i % bk;
                            float v = r >= start && r < end ? x[(row0 + r) * k + k0 + c] : 0f;
                            xs[i] = halfX ? Float.float16ToFloat(Float.floatToFloat16(v)) : v;
                        }
                        for (int i = 0; i < bn * bk; i++) {
                            int c = i / bk, col = i % bk;
                            ws[i] = col0 + c < n ? weight(words, scaleBytes, n, k, e, col0 + c, k0 + col) : 0f;
                        }
                        for (int r = 0; r < bm; r++) {
                            for (int c = 0; c < bn; c++) {
                                float partial = 0f;
                                for (int j = 0; j < bk; j++) partial += xs[r * bk + j] * ws[c * bk + j];
                                acc[r * bn + c] += partial;
                            }
                        }
                    }
                    start = end;
                }
                for (int r = 0; r < tileRows; r++) {
                    for (int c = 0; c < bn && col0 + c < n; c++) out[(row0 + r) * n + col0 + c] = acc[r * bn + c];
                }
            }
        }
        return out;
    }
}
