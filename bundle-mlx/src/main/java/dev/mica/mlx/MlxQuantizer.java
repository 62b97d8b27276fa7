package dev.mica.mlx;

import dev.mica.api.backend.Backend;
import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.Quantizer;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.osgi.service.component.annotations.Component;

/**
 * Quantizes an MLX-format folder of float weights (F32, F16, BF16) into MLX's own quantized format,
 * in Java: no MLX is needed at import, and the folder loads as mlx-community's do. What is
 * quantized follows mlx-lm's {@code quantize_model}: the weights of linear and embedding layers
 * (2-D; 3-D stacked experts) whose last dimension divides into groups; norms, biases, convolutions
 * and the rest stay as they are. config.json gets mlx-lm's {@code quantization} block; each weights
 * file is rewritten under its own name.
 */
@Component(service = Quantizer.class, property = Backend.ID_PROPERTY + "=mlx")
public final class MlxQuantizer implements Quantizer {
    /** Rows are quantized in blocks of about this many values, so a large embedding never sits in memory whole. */
    private static final int BLOCK = 1 << 20;
    private static final Set<String> FLOATS = Set.of("F32", "F16", "BF16");

    @Override
    public Set<String> formats() {
        return Set.of("safetensors");
    }

    @Override
    public Set<String> types() {
        return Arrays.stream(MlxQuantization.Type.values()).map(MlxQuantization.Type::label).collect(Collectors.toCollection(TreeSet::new));
    }

    @Override
    public void quantize(Path input, Path output, String type) throws BackendException {
        MlxQuantization.Type t = MlxQuantization.Type.of(type);
        if (!MlxFolder.is(input)) throw new BackendException("not an MLX-format model folder (config.json and *.safetensors)");
        Map<String, Object> config = MlxFolder.json(input.resolve("config.json"));
        if (config.containsKey("quantization") || config.containsKey("quantization_config")) {
            throw new BackendException("the model is already quantized (config.json has a quantization block): quantize it from its float weights");
        }
        try {
            List<Path> files = MlxFolder.safetensors(input);
            List<Safetensors> headers = new ArrayList<>();
            for (Path f : files) {
                try {
                    headers.add(Safetensors.read(f));
                } catch (IOException e) {
                    throw new BackendException(e.getMessage(), e);
                }
            }
            for (Safetensors s : headers) {
                for (Safetensors.Entry e : s.tensors()) {
                    if (e.name().endsWith(".scales")) throw new BackendException("the model is already quantized: it has " + e.name());
                }
            }
            Map<String, String> weightMap = new LinkedHashMap<>();
            long total = 0;
            for (Safetensors s : headers) {
                Path out = output.resolve(s.path().getFileName().toString());
                total += write(s, out, t, weightMap);
            }
            Files.writeString(output.resolve("config.json"), withQuantization(Files.readString(input.resolve("config.json"), StandardCharsets.UTF_8), t),
                    StandardCharsets.UTF_8);
            if (Files.isRegularFile(input.resolve("model.safetensors.index.json"))) {
                Files.writeString(output.resolve("model.safetensors.index.json"), index(total, weightMap), StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            // the input was read and checked: what fails now is the disk
            throw new UncheckedIOException(e);
        }
    }

    /** Which tensors mlx-lm quantizes: linear and embedding weights (experts stacked in 3-D), in whole groups. */
    static boolean quantizes(Safetensors.Entry e, int group) {
        long[] s = e.shape();
        if (!e.name().endsWith(".weight") || !FLOATS.contains(e.dtype()) || s.length < 2 || s[s.length - 1] % group != 0) return false;
        if (s.length == 2) return true;
        return s.length == 3 && (e.name().contains(".switch_mlp.") || e.name().contains(".experts."));
    }

    private record Out(String name, String dtype, long[] shape, long bytes, Safetensors.Entry source, String part) {}

    /** Writes one file's tensors, quantized where mlx-lm would; returns the bytes of tensor data. */
    private static long write(Safetensors in, Path out, MlxQuantization.Type t, Map<String, String> weightMap) throws IOException {
        List<Out> plan = new ArrayList<>();
        for (Safetensors.Entry e : in.tensors()) {
            if (!quantizes(e, t.group)) {
                plan.add(new Out(e.name(), e.dtype(), e.shape(), e.bytes(), e, "copy"));
                continue;
            }
            long[] packed = e.shape().clone(), groups = e.shape().clone();
            long cols = e.shape()[e.shape().length - 1], count = e.bytes() / Safetensors.elementBytes(e.dtype());
            packed[packed.length - 1] = cols * t.bits / 32;
            groups[groups.length - 1] = cols / t.group;
            String base = e.name().substring(0, e.name().length() - ".weight".length());
            plan.add(new Out(e.name(), "U32", packed, count * t.bits / 8, e, "words"));
            String scaleType = t.affine() ? e.dtype() : "U8";
            long scaleBytes = count / t.group * (t.affine() ? Safetensors.elementBytes(e.dtype()) : 1);
            plan.add(new Out(base + ".scales", scaleType, groups, scaleBytes, e, "scales"));
            if (t.affine()) plan.add(new Out(base + ".biases", scaleType, groups, scaleBytes, e, "biases"));
        }
        StringBuilder h = new StringBuilder("{\"__metadata__\":{\"format\":\"mlx\"}");
        long at = 0;
        for (Out o : plan) {
            h.append(",\"").append(jsonEscape(o.name())).append("\":{\"dtype\":\"").append(o.dtype()).append("\",\"shape\":[");
            for (int i = 0; i < o.shape().length; i++) h.append(i == 0 ? "" : ",").append(o.shape()[i]);
            h.append("],\"data_offsets\":[").append(at).append(',').append(at + o.bytes()).append("]}");
            at += o.bytes();
            weightMap.put(o.name(), out.getFileName().toString());
        }
        h.append('}');
        while ((h.length() + 8) % 8 != 0) h.append(' ');
        byte[] header = h.toString().getBytes(StandardCharsets.UTF_8);
        try (Arena arena = Arena.ofConfined(); FileChannel ch = FileChannel.open(in.path(), StandardOpenOption.READ);
             OutputStream os = new BufferedOutputStream(Files.newOutputStream(out), 1 << 20)) {
            MemorySegment data = ch.map(FileChannel.MapMode.READ_ONLY, 0, in.fileSize(), arena);
            os.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length).array());
            os.write(header);
            for (int i = 0; i < plan.size(); i++) {
                Out o = plan.get(i);
                if (o.part().equals("copy")) {
                    copy(data, o.source(), os);
                } else if (o.part().equals("words")) {
                    // the words, then the scales (and biases) that follow them in the plan
                    quantizeTensor(data, o.source(), t, os, out, plan.get(i + 1), t.affine() ? plan.get(i + 2) : null);
                    i += t.affine() ? 2 : 1;
                }
            }
        }
        return at;
    }

    private static void copy(MemorySegment data, Safetensors.Entry e, OutputStream os) throws IOException {
        byte[] buf = new byte[1 << 20];
        for (long done = 0; done < e.bytes(); ) {
            int n = (int) Math.min(buf.length, e.bytes() - done);
            MemorySegment.copy(data, ValueLayout.JAVA_BYTE, e.offset() + done, buf, 0, n);
            os.write(buf, 0, n);
            done += n;
        }
    }

    /**
     * Quantizes a tensor block by block of rows. The words stream out as they are made; the scales
     * (and biases) are small and are kept to follow them, since the file holds each tensor whole.
     */
    private static void quantizeTensor(MemorySegment data, Safetensors.Entry e, MlxQuantization.Type t, OutputStream os, Path out,
                                       Out scalesOut, Out biasesOut) throws IOException {
        int cols = (int) e.shape()[e.shape().length - 1];
        long rows = e.bytes() / Safetensors.elementBytes(e.dtype()) / cols;
        int block = (int) Math.max(1, Math.min(rows, BLOCK / cols));
        ByteBuffer scales = ByteBuffer.allocate((int) scalesOut.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer biases = biasesOut == null ? null : ByteBuffer.allocate((int) biasesOut.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        float[] w = new float[block * cols];
        int[] words = new int[block * cols * t.bits / 32];
        float[] s = new float[block * cols / t.group], b = new float[s.length];
        byte[] codes = new byte[s.length];
        ByteBuffer wordBytes = ByteBuffer.allocate(words.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (long r = 0; r < rows; r += block) {
            int n = (int) Math.min(block, rows - r) * cols;
            read(data, e, r * cols, n, w);
            int groups = n / t.group;
            if (t.affine()) MlxQuantization.affine(w, n, t.bits, t.group, words, s, b);
            else MlxQuantization.fp(w, n, t, words, codes);
            wordBytes.clear();
            for (int i = 0; i < n * t.bits / 32; i++) wordBytes.putInt(words[i]);
            os.write(wordBytes.array(), 0, wordBytes.position());
            for (int g = 0; g < groups; g++) {
                if (t.affine()) {
                    put(scales, e.dtype(), s[g]);
                    put(biases, e.dtype(), b[g]);
                } else {
                    scales.put(codes[g]);
                }
            }
        }
        os.write(scales.array());
        if (biases != null) os.write(biases.array());
    }

    /** Affine scales and biases are stored in the weight's dtype, as MLX casts them. */
    private static void put(ByteBuffer to, String dtype, float v) {
        switch (dtype) {
            case "F32" -> to.putFloat(v);
            case "F16" -> to.putShort(Float.floatToFloat16(v));
            default -> to.putShort(MlxQuantization.bf16(v));
        }
    }

    private static void read(MemorySegment data, Safetensors.Entry e, long first, int n, float[] w) {
        long at = e.offset();
        switch (e.dtype()) {
            case "F32" -> MemorySegment.copy(data, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), at + first * 4, w, 0, n);
            case "F16" -> {
                for (int i = 0; i < n; i++) w[i] = Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), at + (first + i) * 2));
            }
            default -> {
                for (int i = 0; i < n; i++) {
                    short h = data.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), at + (first + i) * 2);
                    w[i] = Float.intBitsToFloat((h & 0xFFFF) << 16);
                }
            }
        }
    }

    /** mlx-lm's block, under both names it writes, as the first keys of the object; the rest stays byte for byte. */
    static String withQuantization(String config, MlxQuantization.Type t) throws BackendException {
        int open = config.indexOf('{');
        if (open < 0) throw new BackendException("config.json is not a JSON object");
        String block = "{\"group_size\": " + t.group + ", \"bits\": " + t.bits + ", \"mode\": \"" + t.mode + "\"}";
        boolean empty = config.substring(open + 1).strip().startsWith("}");
        return config.substring(0, open + 1) + "\n  \"quantization\": " + block + ",\n  \"quantization_config\": " + block
                + (empty ? "" : ",") + config.substring(open + 1);
    }

    private static String index(long total, Map<String, String> weightMap) {
        StringBuilder b = new StringBuilder("{\n  \"metadata\": {\"total_size\": ").append(total).append("},\n  \"weight_map\": {");
        boolean first = true;
        for (var e : new java.util.TreeMap<>(weightMap).entrySet()) {
            b.append(first ? "\n" : ",\n").append("    \"").append(jsonEscape(e.getKey())).append("\": \"").append(jsonEscape(e.getValue())).append('"');
            first = false;
        }
        return b.append("\n  }\n}\n").toString();
    }

    private static String jsonEscape(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.toString();
    }
}
