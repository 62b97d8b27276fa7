package dev.mica.backend.java.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mica.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The kernels give the same bits for the same inputs however warm the JIT is: a restored snapshot
 * or a shared prefix must continue exactly as the original, and a greedy answer must not change
 * between the first request and the hundredth. The loop runs long enough for C2 to compile the
 * dot products (HotSpot's own lane reduction changes order when it does).
 */
class SumOrderTest {
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    void aDotProductGivesTheSameBitsBeforeAndAfterCompilation(GgmlType type) {
        int n = 512;
        MemorySegment m = WeightFormatTest.randomRows(type, n, 1, 7);
        WeightFormat f = WeightFormat.of(type);
        Random r = new Random(11);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = r.nextFloat() * 2 - 1;
        float cold = f.dot(m, 0, x, 0, n);
        float[] y = new float[n];
        for (int i = 0; i < n; i++) y[i] = r.nextFloat();
        float coldPlain = Vec.dot(x, 0, y, 0, n);
        float[] two = new float[2];
        for (int i = 0; i < 40_000; i++) {
            assertEquals(Float.floatToRawIntBits(cold), Float.floatToRawIntBits(f.dot(m, 0, x, 0, n)), type + " call " + i);
            if (i % 4 == 0) {
                f.dot2(m, 0, 0, x, 0, n, two, 0, 1);
                assertEquals(Float.floatToRawIntBits(cold), Float.floatToRawIntBits(two[0]), type + " dot2 call " + i);
                assertEquals(Float.floatToRawIntBits(cold), Float.floatToRawIntBits(two[1]), type + " dot2 call " + i);
            }
            assertEquals(Float.floatToRawIntBits(coldPlain), Float.floatToRawIntBits(Vec.dot(x, 0, y, 0, n)), "plain call " + i);
        }
    }
}
