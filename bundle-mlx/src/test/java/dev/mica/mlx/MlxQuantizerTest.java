package dev.mica.mlx;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.LoadedModel;
import dev.mica.api.backend.ProgressListener;
import dev.mica.arch.qwen3.Qwen3;
import dev.mica.arch.qwen3.Qwen3Moe;
import dev.mica.backend.java.testing.ArchModels;
import dev.mica.backend.java.testing.Logits;
import dev.mica.gguf.GgmlType;
import dev.mica.gguf.GgufFile;
import dev.mica.gguf.GgufTensor;
import dev.mica.gguf.GgufWriter;
import dev.mica.mlx.MlxQuantization.Type;
import dev.mica.tokenizer.Json;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Whole folders through the Java quantizer: what it writes (names, dtypes, shapes, config.json),
 * what it refuses, and, where libmlxc is present, that MLX reads the files as the Java reference
 * decodes them and that the Java packing is bit for bit what {@code mlx_quantize} makes.
 */
class MlxQuantizerTest {
    @TempDir Path dir;

    /** A random-weight float32 Qwen3 (MoE: stacked experts too) as an MLX-format folder; no MLX needed. */
    private Path floatFolder(boolean moe) throws IOException {
        Path gguf = ArchModels.write(ArchModels.qwen3(moe, 3), dir.resolve(moe ? "moe.gguf" : "dense.gguf"));
        Path folder = dir.resolve(moe ? "moe-f32" : "dense-f32");
        MlxFormatModels.write(null, gguf, folder, null, 0, 64, null);
        return folder;
    }

    /** What the store does: the quantizer's files over the input folder's others. */
    private Path quantize(Path in, Type t) throws Exception {
        Path out = Files.createDirectories(dir.resolve(in.getFileName() + "-" + t.label()));
        new MlxQuantizer().quantize(in, out, t.label());
        try (var files = Files.list(in)) {
            for (Path f : files.toList()) {
                if (!Files.exists(out.resolve(f.getFileName()))) Files.copy(f, out.resolve(f.getFileName()));
            }
        }
        return out;
    }

    private static Map<String, Safetensors.Entry> tensors(Path folder) throws IOException {
        Map<String, Safetensors.Entry> all = new HashMap<>();
        for (Path f : MlxFolder.safetensors(folder)) Safetensors.read(f).tensors().forEach(e -> all.put(e.name(), e));
        return all;
    }

    @ParameterizedTest
    @EnumSource(Type.class)
    void writesMlxsLayoutAndConfig(Type t) throws Exception {
        Path in = floatFolder(true);
        Path out = quantize(in, t);
        Map<String, Safetensors.Entry> before = tensors(in), after = tensors(out);
        int quantized = 0;
        for (Safetensors.Entry e : before.values()) {
            long[] s = e.shape();
            boolean expected = e.name().endsWith(".weight") && (s.length == 2 || s.length == 3) && s[s.length - 1] % t.group == 0;
            Safetensors.Entry w = after.get(e.name());
            String base = e.name().substring(0, e.name().lastIndexOf('.'));
            if (!expected) {
                assertEquals(e.dtype(), w.dtype(), e.name());
                assertArrayEquals(s, w.shape(), e.name());
                assertFalse(after.containsKey(base + ".scales"), e.name() + " stays as it is");
                continue;
            }
            quantized++;
            long[] packed = s.clone(), groups = s.clone();
            packed[s.length - 1] = s[s.length - 1] * t.bits / 32;
            groups[s.length - 1] = s[s.length - 1] / t.group;
            assertEquals("U32", w.dtype(), e.name());
            assertArrayEquals(packed, w.shape(), e.name());
            Safetensors.Entry scales = after.get(base + ".scales");
            assertArrayEquals(groups, scales.shape());
            assertEquals(t.affine() ? "F32" : "U8", scales.dtype(), "affine scales in the weight's dtype, E8M0/E4M3 bytes otherwise");
            assertEquals(t.affine(), after.containsKey(base + ".biases"));
        }
        assertTrue(quantized > 5, "linears, experts and the embedding are quantized: " + quantized);
        assertTrue(after.get("model.layers.0.input_layernorm.weight").dtype().equals("F32"), "norms stay");
        @SuppressWarnings("unchecked") Map<String, Object> config = (Map<String, Object>) Json.parse(Files.readString(out.resolve("config.json")));
        Map<String, Object> block = Map.of("group_size", (long) t.group, "bits", (long) t.bits, "mode", t.mode);
        assertEquals(block, config.get("quantization"));
        assertEquals(block, config.get("quantization_config"));
        assertEquals("Qwen3MoeForCausalLM", ((List<?>) config.get("architectures")).getFirst(), "the rest of config.json is kept");
    }

    @Test
    void bf16WeightsGetBf16ScalesAndTheValuesTheReferenceSays() throws Exception {
        Path in = Files.createDirectories(dir.resolve("bf16"));
        int rows = 8, cols = 128;
        float[] w = new float[rows * cols];
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < w.length; i++) w[i] = MlxFormatModels.bf16((float) r.nextGaussian());
        MlxFormatModels.writeSafetensors(in.resolve("model.safetensors"), List.of(
                new MlxFormatModels.Entry("model.layers.0.mlp.up_proj.weight", "BF16", new long[] {rows, cols}, MlxFormatModels.leBf16(w)),
                new MlxFormatModels.Entry("model.layers.0.mlp.up_proj.bias", "BF16", new long[] {rows}, MlxFormatModels.leBf16(new float[rows]))));
        Files.writeString(in.resolve("config.json"), "{}");
        Path out = quantize(in, Type.INT4);
        Map<String, Safetensors.Entry> t = tensors(out);
        assertEquals("BF16", t.get("model.layers.0.mlp.up_proj.scales").dtype());
        assertEquals("BF16", t.get("model.layers.0.mlp.up_proj.bias").dtype(), "a linear's bias stays");
        int[] words = new int[rows * cols * 4 / 32];
        float[] s = new float[rows * cols / 64], b = new float[s.length];
        MlxQuantization.affine(w, w.length, 4, 64, words, s, b);
        for (int i = 0; i < s.length; i++) {
            s[i] = MlxFormatModels.bf16(s[i]);
            b[i] = MlxFormatModels.bf16(b[i]);
        }
        Stored q = Stored.read(out, "model.layers.0.mlp.up_proj", Type.INT4);
        assertArrayEquals(words, q.words);
        assertArrayEquals(s, q.scales);
        assertArrayEquals(b, q.biases);
        assertEquals(Map.of("group_size", 64L, "bits", 4L, "mode", "affine"), ((Map<?, ?>) Json.parse(Files.readString(out.resolve("config.json")))).get("quantization"));
    }

    @Test
    void refusesWhatItCannotQuantize() throws Exception {
        Path in = floatFolder(false);
        Path once = quantize(in, Type.INT8);
        BackendException again = assertThrows(BackendException.class, () -> new MlxQuantizer().quantize(once, Files.createDirectories(dir.resolve("o1")), "int4"));
        assertTrue(again.getMessage().contains("already quantized"), again.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new MlxQuantizer().quantize(in, Files.createDirectories(dir.resolve("o2")), "q4_K_M"));
        Path hostile = dir.resolve("hostile");
        Files.createDirectories(hostile);
        Files.copy(in.resolve("config.json"), hostile.resolve("config.json"));
        Files.write(hostile.resolve("model.safetensors"), ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).array());
        BackendException bad = assertThrows(BackendException.class, () -> new MlxQuantizer().quantize(hostile, Files.createDirectories(dir.resolve("o3")), "int4"));
        assertTrue(bad.getMessage().contains("header"), bad.getMessage());
        BackendException none = assertThrows(BackendException.class, () -> new MlxQuantizer().quantize(dir, Files.createDirectories(dir.resolve("o4")), "int4"));
        assertTrue(none.getMessage().contains("not an MLX-format model folder"), none.getMessage());
        assertEquals(List.of("int4", "int8", "mxfp4", "mxfp8", "nvfp4"), List.copyOf(new MlxQuantizer().types()));
    }

    /** One quantized tensor as the file holds it. */
    record Stored(int[] words, float[] scales, float[] biases, byte[] codes, int rows, int cols) {
        static Stored read(Path folder, String base, Type t) throws IOException {
            Map<String, Safetensors.Entry> all = tensors(folder);
            Safetensors.Entry w = all.get(base + ".weight"), s = all.get(base + ".scales"), b = all.get(base + ".biases");
            Path file = MlxFolder.safetensors(folder).stream().filter(f -> {
                try {
                    return Safetensors.read(f).tensors().stream().anyMatch(e -> e.name().equals(base + ".weight"));
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }).findFirst().orElseThrow();
            try (Arena arena = Arena.ofConfined(); FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                MemorySegment m = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
                int cols = (int) (w.shape()[w.shape().length - 1] * 32 / t.bits);
                int rows = (int) (w.bytes() / 4 / (cols * t.bits / 32));
                ByteBuffer wb = m.asSlice(w.offset(), w.bytes()).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
                int[] words = new int[(int) (w.bytes() / 4)];
                wb.asIntBuffer().get(words);
                byte[] sb = m.asSlice(s.offset(), s.bytes()).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
                if (!t.affine()) return new Stored(words, null, null, sb, rows, cols);
                return new Stored(words, floats(sb, s.dtype()), floats(m.asSlice(b.offset(), b.bytes()).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE),
                        b.dtype()), null, rows, cols);
            }
        }

        private static float[] floats(byte[] bytes, String dtype) {
            ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            float[] out = new float[bytes.length / (dtype.equals("F32") ? 4 : 2)];
            for (int i = 0; i < out.length; i++) {
                out[i] = switch (dtype) {
                    case "F32" -> bb.getFloat();
                    case "F16" -> Float.float16ToFloat(bb.getShort());
                    default -> Float.intBitsToFloat((bb.getShort() & 0xFFFF) << 16);
                };
            }
            return out;
        }

        float[] dequantize(Type t) {
            return MlxQuantization.dequantize(words, scales, biases, codes, rows, cols, t);
        }

        MlxFormatModels.Quantized asMlx(Type t) {
            int[] codeInts = null;
            if (codes != null) {
                codeInts = new int[codes.length];
                for (int i = 0; i < codes.length; i++) codeInts[i] = codes[i] & 0xFF;
            }
            return new MlxFormatModels.Quantized(words, scales, codeInts, biases, rows, cols, t.mode, t.bits, t.group);
        }
    }

    /** MLX's {@code mlx_dequantize} of the written words and scales equals the Java reference decoding, for every mode. */
    @ParameterizedTest
    @EnumSource(Type.class)
    void mlxReadsTheWrittenFilesAsTheReferenceDoes(Type t) throws Exception {
        MlxRuntime rt = MlxTesting.runtime();
        Path out = quantize(floatFolder(false), t);
        int checked = 0;
        for (String base : List.of("model.layers.0.mlp.up_proj", "model.layers.1.self_attn.q_proj", "model.embed_tokens")) {
            if (!tensors(out).containsKey(base + ".scales")) continue;
            Stored q = Stored.read(out, base, t);
            float[] mlx = MlxFormatModels.dequantizeByMlx(rt, q.asMlx(t)), java = q.dequantize(t);
            assertArrayEquals(java, mlx, 0f, base);
            checked++;
        }
        assertTrue(checked >= 2, "quantized tensors checked: " + checked);
    }

    /** On float32 input the Java packing is exactly {@code mlx_quantize}'s (MLX's CPU arithmetic, ported). */
    @ParameterizedTest
    @EnumSource(Type.class)
    void javaPackingIsMlxsBitForBit(Type t) throws Exception {
        MlxRuntime rt = MlxTesting.runtime();
        int rows = 24, cols = 256, n = rows * cols;
        SplittableRandom r = new SplittableRandom(11 + t.ordinal());
        float[] w = new float[n];
        for (int i = 0; i < n; i++) w[i] = (float) (r.nextGaussian() * 0.05 * (1 + i / cols));
        w[5 * cols] = 0;   // a group of zeros
        for (int i = 0; i < t.group; i++) w[3 * cols + i] = 0;
        MlxFormatModels.Quantized byMlx = MlxFormatModels.quantize(rt, w, rows, cols, t.mode, t.bits, t.group);
        int[] words = new int[n * t.bits / 32];
        float[] s = new float[n / t.group], b = new float[n / t.group];
        byte[] codes = new byte[n / t.group];
        if (t.affine()) MlxQuantization.affine(w, n, t.bits, t.group, words, s, b);
        else MlxQuantization.fp(w, n, t, words, codes);
        assertArrayEquals(byMlx.words(), words, "packed words");
        if (t.affine()) {
            assertArrayEquals(byMlx.scales(), s);
            assertArrayEquals(byMlx.biases(), b);
        } else {
            for (int i = 0; i < codes.length; i++) assertEquals(byMlx.scaleBytes()[i], codes[i] & 0xFF, "scale " + i);
        }
    }

    /**
     * The end to end on MLX: a float folder quantized to int4 here loads on the MLX backend and
     * gives the logits of a GGUF F32 file holding exactly the Java reference's dequantized weights.
     */
    @Test
    void aFolderQuantizedHereRunsOnMlxAsTheReferenceSays() throws Exception {
        MlxBackend backend = new MlxBackend(MlxTesting.folder(), List.of(new Qwen3(), new Qwen3Moe()));
        assertTrue(backend.status().available(), backend.status().detail());
        Path gguf = ArchModels.write(ArchModels.qwen3(false, 3), dir.resolve("src.gguf"));
        Path folder = dir.resolve("dense-f32");
        MlxFormatModels.write(null, gguf, folder, null, 0, 64, null);
        Path out = quantize(folder, Type.INT4);
        Path reference = dir.resolve("dequantized.gguf");
        GgufFile f = GgufFile.read(gguf);
        GgufWriter ref = new GgufWriter().putAll(f);
        Map<String, Safetensors.Entry> written = tensors(out);
        try (Arena arena = Arena.ofConfined(); FileChannel ch = FileChannel.open(gguf, StandardOpenOption.READ)) {
            MemorySegment mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            for (GgufTensor t : f.tensors()) {
                String hf = MlxFormatModels.hfName(t.name());
                String base = hf.substring(0, hf.lastIndexOf('.'));
                float[] v = written.containsKey(base + ".scales") && hf.endsWith(".weight") ? Stored.read(out, base, Type.INT4).dequantize(Type.INT4)
                        : mapped.asSlice(t.offset(), t.byteSize()).toArray(JAVA_FLOAT.withOrder(ByteOrder.LITTLE_ENDIAN));
                ref.addTensor(t.name(), GgmlType.F32, t.shape(), v);
            }
        }
        ref.write(reference);
        try (LoadedModel m = backend.load(out, "int4", ProgressListener.NONE);
             LoadedModel r = backend.load(reference, "reference", ProgressListener.NONE);
             LoadedModel original = backend.load(gguf, "f32", ProgressListener.NONE)) {
            double exact = Logits.relativeError(Logits.run(m, MlxLogitsTest.CHUNKS), Logits.run(r, MlxLogitsTest.CHUNKS));
            double quant = Logits.relativeError(Logits.run(m, MlxLogitsTest.CHUNKS), Logits.run(original, MlxLogitsTest.CHUNKS));
            System.out.printf("int4 folder quantized in Java: vs the dequantized reference %.2e, vs the F32 original %.3f%n", exact, quant);
            assertTrue(exact < 1e-4, "against the dequantized weights: " + exact);
            assertTrue(quant < 0.5, "against the original: " + quant);
            int[] tokens = Logits.greedy(m, new int[] {1, 300, 301}, 8);
            assertEquals(8, tokens.length);
            assertArrayEquals(Logits.greedy(r, new int[] {1, 300, 301}, 8), tokens, "the same generation as the reference");
        }
    }
}
