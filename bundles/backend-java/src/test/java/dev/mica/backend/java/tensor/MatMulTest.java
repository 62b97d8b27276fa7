package dev.mica.backend.java.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mica.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Both matmul paths (fused dots for few rows, decoded 4×4 blocks for many) against a plain one, on one and three threads. */
class MatMulTest {
    @ParameterizedTest
    @CsvSource({"Q8_0, 1, 1", "Q8_0, 3, 3", "Q4_0, 7, 1", "Q4_K, 37, 3", "Q6_K, 5, 3", "F16, 64, 3", "F32, 4, 1", "BF16, 9, 3"})
    void linearMatchesPlainArithmetic(GgmlType type, int n, int threads) {
        int in = 256, out = 70;
        MemorySegment m = WeightFormatTest.randomRows(type, in, out + 3, n);
        WeightFormat f = WeightFormat.of(type);
        WeightTensor w = new WeightTensor("w", f, new long[] {out + 3, in}, m);
        Random r = new Random(n);
        float[] x = new float[n * in + 5];
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat() * 2 - 1;
        float[] y = new float[n * out + 2];
        try (Parallel pool = new Parallel(threads, "test")) {
            // rows [3, 73): an expert's slice of a stack
            MatMul.linear(pool, w, 3, out, x, 5, n, y, 2);
        }
        float[] row = new float[in];
        for (int t = 0; t < n; t++) {
            for (int o = 0; o < out; o++) {
                f.reference(m, w.rowOffset(3 + o), row, 0, in);
                double sum = 0, scale = 0;
                for (int i = 0; i < in; i++) {
                    sum += (double) row[i] * x[5 + t * in + i];
                    scale += Math.abs((double) row[i] * x[5 + t * in + i]);
                }
                assertEquals(sum, y[2 + t * out + o], 1e-5 * scale + 1e-6, type + " token " + t + " row " + o);
            }
        }
    }

    /**
     * Decoding (one to three inputs) gives each output the bits of its row's fused dot, whatever the
     * thread count and however the rows fall into tasks and pairs: odd row counts, a last task of
     * one row, row lengths whose input does and does not fit the L1 cache.
     */
    @ParameterizedTest
    @CsvSource({"Q4_0, 1, 2, 71, 256", "Q4_0, 2, 3, 33, 8192", "Q4_0, 1, 2, 19, 4096", "Q4_0, 1, 1, 1, 8192", "Q8_0, 1, 2, 35, 8192",
            "Q8_0, 3, 3, 513, 256", "Q4_K, 1, 2, 37, 512", "F16, 2, 2, 17, 256"})
    void decodingGivesEachRowsDotWhateverTheThreads(GgmlType type, int n, int threads, int out, int in) {
        MemorySegment m = WeightFormatTest.randomRows(type, in, out + 1, out);
        WeightFormat f = WeightFormat.of(type);
        WeightTensor w = new WeightTensor("w", f, new long[] {out + 1, in}, m);
        Random r = new Random(out);
        float[] x = new float[n * in];
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat() * 2 - 1;
        float[] y = new float[n * out];
        try (Parallel pool = new Parallel(threads, "test")) {
            MatMul.linear(pool, w, 1, out, x, 0, n, y, 0);
        }
        for (int t = 0; t < n; t++) {
            for (int o = 0; o < out; o++) {
                float want = f.dot(m, w.rowOffset(1 + o), x, t * in, in);
                assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(y[t * out + o]), type + " token " + t + " row " + o);
            }
        }
    }
}
