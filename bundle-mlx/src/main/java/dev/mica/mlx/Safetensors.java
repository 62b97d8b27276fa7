package dev.mica.mlx;

import dev.mica.tokenizer.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The header of a safetensors file: 8 bytes little-endian header length, a JSON object of
 * {@code name: {dtype, shape, data_offsets: [begin, end]}} (offsets relative to the data after the
 * header), then the data. Every size and offset is checked before anything is mapped, so a
 * truncated or hostile file fails with a message instead of reading outside the file.
 */
record Safetensors(Path path, long fileSize, List<Entry> tensors, Map<String, Object> metadata) {
    /** Far above any real header (a few MB for thousands of tensors), far below what would hurt. */
    static final long MAX_HEADER = 100L << 20;

    /** One tensor: {@code offset} is absolute in the file. */
    record Entry(String name, String dtype, long[] shape, long offset, long bytes) {}

    static int elementBytes(String dtype) {
        return switch (dtype) {
            case "F32", "I32", "U32" -> 4;
            case "F16", "BF16", "I16", "U16" -> 2;
            case "U8", "I8", "BOOL", "F8_E4M3", "F8_E5M2" -> 1;
            case "F64", "I64", "U64" -> 8;
            default -> -1;
        };
    }

    static Safetensors read(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) throw bad(path, "is " + size + " bytes, shorter than the 8-byte header length");
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, len, 0);
            long n = len.getLong(0);
            if (n < 2 || n > MAX_HEADER) throw bad(path, "declares a header of " + Long.toUnsignedString(n) + " bytes (at most " + MAX_HEADER + ")");
            if (8 + n > size) throw bad(path, "is truncated: its header needs " + (8 + n) + " bytes, the file has " + size);
            ByteBuffer header = ByteBuffer.allocate((int) n);
            readFully(ch, header, 8);
            String json;
            try {
                json = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(header.flip()).toString();
            } catch (CharacterCodingException e) {
                throw bad(path, "has a header that is not UTF-8");
            }
            Object root;
            try {
                root = Json.parse(json);
            } catch (IllegalArgumentException e) {
                throw bad(path, "has a header that is not JSON: " + e.getMessage());
            }
            if (!(root instanceof Map<?, ?> map)) throw bad(path, "has a header that is not a JSON object");
            long dataStart = 8 + n, dataSize = size - dataStart;
            List<Entry> entries = new ArrayList<>();
            Map<String, Object> metadata = Map.of();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                String name = (String) e.getKey();
                if (name.equals("__metadata__")) {
                    if (e.getValue() instanceof Map<?, ?> m) {
                        @SuppressWarnings("unchecked") Map<String, Object> mm = (Map<String, Object>) m;
                        metadata = mm;
                    }
                    continue;
                }
                entries.add(entry(path, name, e.getValue(), dataStart, dataSize));
            }
            return new Safetensors(path, size, List.copyOf(entries), metadata);
        }
    }

    private static Entry entry(Path path, String name, Object spec, long dataStart, long dataSize) throws IOException {
        if (!(spec instanceof Map<?, ?> m)) throw bad(path, "tensor '" + name + "' is not described by an object");
        if (!(m.get("dtype") instanceof String dtype) || elementBytes(dtype) < 0) {
            throw bad(path, "tensor '" + name + "' has dtype " + m.get("dtype") + ", which is not read here");
        }
        if (!(m.get("shape") instanceof List<?> dims) || dims.size() > 8) throw bad(path, "tensor '" + name + "' has no valid shape");
        long[] shape = new long[dims.size()];
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
            if (!(dims.get(i) instanceof Long d) || d < 0 || d > Integer.MAX_VALUE) {
                throw bad(path, "tensor '" + name + "' has a bad dimension " + dims.get(i));
            }
            shape[i] = d;
            count = Math.multiplyHigh(count, d) != 0 ? -1 : count * d;
            if (count < 0) throw bad(path, "tensor '" + name + "' is too large");
        }
        if (!(m.get("data_offsets") instanceof List<?> off) || off.size() != 2 || !(off.get(0) instanceof Long begin)
                || !(off.get(1) instanceof Long end)) {
            throw bad(path, "tensor '" + name + "' has no valid data_offsets");
        }
        if (begin < 0 || end < begin || end > dataSize) {
            throw bad(path, "tensor '" + name + "' lies at [" + begin + ", " + end + ") outside the " + dataSize + " data bytes (truncated file?)");
        }
        long bytes = count > Long.MAX_VALUE / 8 ? -1 : count * elementBytes(dtype);
        if (bytes != end - begin) {
            throw bad(path, "tensor '" + name + "' of " + dtype + " " + java.util.Arrays.toString(shape) + " needs " + bytes + " bytes, has " + (end - begin));
        }
        return new Entry(name, dtype, shape, dataStart + begin, bytes);
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long at) throws IOException {
        while (b.hasRemaining()) {
            int r = ch.read(b, at + b.position());
            if (r < 0) throw new IOException("unexpected end of file");
        }
    }

    private static IOException bad(Path path, String what) {
        return new IOException("safetensors file " + path.getFileName() + " " + what);
    }
}
