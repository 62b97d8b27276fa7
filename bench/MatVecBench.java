import static dev.mica.backend.java.tensor.Vec.F;
import static dev.mica.backend.java.tensor.Vec.L;

import dev.mica.backend.java.tensor.MatMul;
import dev.mica.backend.java.tensor.Parallel;
import dev.mica.backend.java.tensor.Vec;
import dev.mica.backend.java.tensor.WeightFormat;
import dev.mica.backend.java.tensor.WeightTensor;
import dev.mica.gguf.GgmlType;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;

/**
 * Decode's matrix × vector (one input row) over memory-mapped Q4_0 and Q8_0 weights: the product's
 * {@code MatMul.linear} against the kernels as they were before (kept here, and only here, so that
 * the two can be timed alternately in one process). Random blocks in GGUF's layout are written to a
 * temporary file and mapped read-only, as a model is; each shape is run over enough distinct slices
 * of it (about 150-290 MB) that the weights come from memory, not from the L3 cache, as in decode.
 *
 * <pre>
 * cp=bundles/backend-java/target/classes:kernel/target/classes:bundles/gguf/target/classes
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp $cp bench/MatVecBench.java \
 *     [--threads 2] [--rounds 7] [--types "q4_0 q8_0"] [--variants "old new"] [--dir /tmp]
 * </pre>
 * Variants: {@code old} (the kernels and loop before: one row per dot, 16 tasks per thread),
 * {@code new} (the product's MatMul.linear), {@code single} (the product's dot, one row at a time,
 * through the old loop: the kernel without row pairing), {@code tasksK} (the product's loop with K
 * tasks per thread instead of 8). Per round and shape, each variant runs once over all slices (after
 * eight warm-up passes) in an order that rotates each round; prints per variant the median over
 * rounds of the time for one matvec, the GB/s of weights read, the first variant's median over this
 * one's, the same for the minimum, and the largest relative difference of its outputs from the first
 * variant's ({@code --samples 1} also prints every round's time).
 */
public final class MatVecBench {
    /** One matvec: rows [0, rows) of w times x into out. */
    interface Kernel {
        void run(Parallel pool, WeightTensor w, int rows, float[] x, float[] out);
    }

    /** A per-row fused dot, driven by the old n < 4 loop of MatMul.linear. */
    interface RowDot {
        float dot(MemorySegment w, long offset, float[] x, int xo, int n);
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) o.put(args[i].replaceFirst("^-+", ""), args[i + 1]);
        int threads = Integer.parseInt(o.getOrDefault("threads", "2"));
        int rounds = Integer.parseInt(o.getOrDefault("rounds", "11"));
        List<String> types = List.of(o.getOrDefault("types", "q4_0 q8_0").split(" +"));
        List<String> variants = List.of(o.getOrDefault("variants", "old new").split(" +"));
        List<String> shapes = List.of(o.getOrDefault("shapes", "8192x2048 2048x8192 128256x2048").split(" +"));
        Path dir = Path.of(o.getOrDefault("dir", System.getProperty("java.io.tmpdir")));
        System.err.printf(Locale.ROOT, "threads %d, rounds %d, vector lanes %d (enabled %s), %s%n", threads, rounds, L, Vec.ENABLED,
                Runtime.version());

        long elements = 128256L * 2048;
        try (Parallel pool = new Parallel(threads, "bench"); Arena arena = Arena.ofShared()) {
            for (String t : types) {
                GgmlType type = GgmlType.valueOf(t.toUpperCase(Locale.ROOT));
                MemorySegment all = mapRandom(type, elements, dir, arena);
                WeightFormat format = WeightFormat.of(type);
                for (String shape : shapes) {
                    int rows = Integer.parseInt(shape.split("x")[0]), in = Integer.parseInt(shape.split("x")[1]);
                    long bytes = type.rowSize(in) * rows;
                    int slices = (int) (all.byteSize() / bytes);
                    WeightTensor[] w = new WeightTensor[slices];
                    for (int s = 0; s < slices; s++) {
                        w[s] = new WeightTensor("w" + s, format, new long[] {rows, in}, all.asSlice(s * bytes, bytes));
                    }
                    float[] x = new float[in];
                    SplittableRandom r = new SplittableRandom(3);
                    for (int i = 0; i < in; i++) x[i] = (float) r.nextGaussian();
                    Map<String, float[]> results = new LinkedHashMap<>();
                    Map<String, List<Double>> times = new LinkedHashMap<>();
                    for (String v : variants) {
                        Kernel k = kernel(type, v);
                        float[] out = new float[rows];
                        for (int rep = 0; rep < 8; rep++) for (WeightTensor ws : w) k.run(pool, ws, rows, x, out); // warm-up
                        results.put(v, out.clone());
                        times.put(v, new ArrayList<>());
                    }
                    for (int round = 0; round < rounds; round++) {
                        for (int vi = 0; vi < variants.size(); vi++) {
                            String v = variants.get((vi + round) % variants.size());
                            Kernel k = kernel(type, v);
                            float[] out = new float[rows];
                            long t0 = System.nanoTime();
                            for (WeightTensor ws : w) k.run(pool, ws, rows, x, out);
                            times.get(v).add((System.nanoTime() - t0) / 1e3 / slices);
                        }
                    }
                    float[] base = results.get(variants.get(0));
                    double baseMedian = median(times.get(variants.get(0)));
                    for (String v : variants) {
                        double m = median(times.get(v));
                        double maxRel = 0;
                        float[] got = results.get(v);
                        for (int i = 0; i < rows; i++) maxRel = Math.max(maxRel, Math.abs(got[i] - base[i]) / (Math.abs(base[i]) + 1e-3));
                        System.out.printf(Locale.ROOT, "%-5s %-12s %-8s median %8.1f us %6.2f GB/s  %s/%s %.3f   min %8.1f us, ratio %.3f   max rel diff %.1e%s%n",
                                t, shape, v, m, bytes / m / 1e3, variants.get(0), v, baseMedian / m, min(times.get(v)),
                                min(times.get(variants.get(0))) / min(times.get(v)), maxRel, o.containsKey("samples")
                                        ? "   " + times.get(v).stream().map(d -> String.format(Locale.ROOT, "%.0f", d)).toList() : "");
                    }
                }
            }
        }
    }

    static double min(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    }

    static double median(List<Double> v) {
        double[] a = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }

    /** Random blocks of the type (scales small finite halves) in a temporary file, mapped read-only. */
    static MemorySegment mapRandom(GgmlType type, long elements, Path dir, Arena arena) throws IOException {
        Path file = Files.createTempFile(dir, "matvec-" + type, ".bin");
        file.toFile().deleteOnExit();
        long blocks = elements / type.blockSize();
        int block = (int) type.typeSize();
        SplittableRandom r = new SplittableRandom(type.ordinal());
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ByteBuffer buf = ByteBuffer.allocate(block * 65536).order(ByteOrder.LITTLE_ENDIAN);
            for (long b = 0; b < blocks; ) {
                buf.clear();
                int n = (int) Math.min(65536, blocks - b);
                for (int i = 0; i < n; i++) {
                    buf.putShort(Float.floatToFloat16((float) (r.nextGaussian() * 0.02)));
                    for (int j = 2; j < block; j++) buf.put((byte) r.nextInt(256));
                }
                buf.flip();
                while (buf.hasRemaining()) ch.write(buf);
                b += n;
            }
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        }
    }

    static Kernel kernel(GgmlType type, String variant) {
        return switch (variant) {
            case "new" -> (pool, w, rows, x, out) -> MatMul.linear(pool, w, 0, rows, x, 0, 1, out, 0);
            case "old" -> rows(type == GgmlType.Q4_0 ? Old::q4 : Old::q8);
            case "single" -> rows(WeightFormat.of(type)::dot);
            default -> {
                if (!variant.startsWith("tasks")) throw new IllegalArgumentException(variant);
                yield tasks(Integer.parseInt(variant.substring(5)));
            }
        };
    }

    /** MatMul.linear's n < 4 loop with k tasks per thread instead of 8 (one input row). */
    static Kernel tasks(int k) {
        return (pool, w, rows, x, out) -> {
            int in = w.rowLength();
            MemorySegment data = w.data();
            WeightFormat format = w.format();
            int chunk = Math.max(16, (rows + pool.threads() * k - 1) / (pool.threads() * k));
            int tasks = (rows + chunk - 1) / chunk;
            boolean pairs = format.pairsRows(in);
            pool.forEach(tasks, task -> {
                int r0 = task * chunk, r1 = Math.min(rows, r0 + chunk), half = pairs ? (r1 - r0) / 2 : 0;
                for (int r = r0; r < r0 + half; r++) format.dot2(data, w.rowOffset(r), w.rowOffset(r + half), x, 0, in, out, r, r + half);
                for (int r = r0 + 2 * half; r < r1; r++) out[r] = format.dot(data, w.rowOffset(r), x, 0, in);
            });
        };
    }

    /** The old n < 4 loop of MatMul.linear (one input row). */
    static Kernel rows(RowDot dot) {
        return (pool, w, rows, x, out) -> {
            int in = w.rowLength();
            MemorySegment data = w.data();
            int chunk = Math.max(16, (rows + pool.threads() * 16 - 1) / (pool.threads() * 16));
            int tasks = (rows + chunk - 1) / chunk;
            pool.forEach(tasks, task -> {
                int r1 = Math.min(rows, (task + 1) * chunk);
                for (int r = task * chunk; r < r1; r++) out[r] = dot.dot(data, w.rowOffset(r), x, 0, in);
            });
        };
    }

    /** The kernels before this benchmark (AVX-512 paths only). */
    static final class Old {
        static float q8(MemorySegment w, long offset, float[] x, int xo, int n) {
            FloatVector acc = FloatVector.zero(F);
            for (int b = 0; b < n / 32; b++) {
                long at = offset + 34L * b;
                int xb = xo + 32 * b;
                FloatVector sum = Vec.bytes(w, at + 2).mul(FloatVector.fromArray(F, x, xb));
                for (int j = L; j < 32; j += L) {
                    sum = Vec.bytes(w, at + 2 + j).fma(FloatVector.fromArray(F, x, xb + j), sum);
                }
                acc = Vec.fma(sum, Vec.half(w, at), acc);
            }
            return Vec.sum(acc);
        }

        static float q4(MemorySegment w, long offset, float[] x, int xo, int n) {
            FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
            int blocks = n / 32, b = 0;
            for (; b + 1 < blocks; b += 2) {
                long at = offset + 18L * b;
                int xb = xo + 32 * b;
                IntVector q0 = Vec.ints(w, at + 2), q1 = Vec.ints(w, at + 20);
                FloatVector s0 = Vec.toFloat(Vec.low(q0).sub(8)).mul(FloatVector.fromArray(F, x, xb));
                FloatVector s1 = Vec.toFloat(Vec.low(q1).sub(8)).mul(FloatVector.fromArray(F, x, xb + 32));
                s0 = Vec.toFloat(Vec.high(q0).sub(8)).fma(FloatVector.fromArray(F, x, xb + 16), s0);
                s1 = Vec.toFloat(Vec.high(q1).sub(8)).fma(FloatVector.fromArray(F, x, xb + 48), s1);
                acc0 = Vec.fma(s0, Vec.half(w, at), acc0);
                acc1 = Vec.fma(s1, Vec.half(w, at + 18), acc1);
            }
            if (b < blocks) {
                long at = offset + 18L * b;
                int xb = xo + 32 * b;
                IntVector q = Vec.ints(w, at + 2);
                FloatVector s = Vec.toFloat(Vec.low(q).sub(8)).mul(FloatVector.fromArray(F, x, xb));
                s = Vec.toFloat(Vec.high(q).sub(8)).fma(FloatVector.fromArray(F, x, xb + 16), s);
                acc0 = Vec.fma(s, Vec.half(w, at), acc0);
            }
            return Vec.sum(acc0.add(acc1));
        }
    }
}
