package dev.mica.gguf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes GGUF version 3 files. Collect metadata ({@code put*}) and tensors ({@link #addTensor}), then
 * {@link #write(Path)}: the header first, then each tensor's data, asked from its {@link TensorData}
 * only when it is written and padded to the alignment, as llama.cpp's own writer lays it out. Float
 * rows are converted to F32, F16, BF16, Q8_0 or Q4_0 (bit-exact with ggml's reference code); other
 * types take raw bytes.
 *
 * <pre>{@code
 * new GgufWriter()
 *     .putString("general.architecture", "llama")
 *     .putUInt32("llama.block_count", 2)
 *     .addTensor("token_embd.weight", GgmlType.Q8_0, new long[] {64, 512}, TensorData.rows((row, dst) -> ...))
 *     .write(Path.of("model.gguf"));
 * }</pre>
 *
 * Metadata keys keep the order they were first put in; putting a key again replaces its value in place.
 */
public final class GgufWriter {

    /** A metadata array with its element type: a value for {@link #putArray} or an element of a nested array. */
    public record Array(GgufValueType elementType, List<?> values) {
        public Array {
            Objects.requireNonNull(elementType);
            values = List.copyOf(values);
        }
    }

    private record Entry(GgufValueType type, Object value) {}

    private record Tensor(String name, GgmlType type, long[] shape, long byteSize, TensorData data) {}

    private final Map<String, Entry> kv = new LinkedHashMap<>();
    private final List<Tensor> tensors = new ArrayList<>();
    private final Map<String, Tensor> tensorNames = new LinkedHashMap<>();
    private int alignment = GgufFile.DEFAULT_ALIGNMENT;

    // ---------------------------------------------------------------- metadata

    /** Sets the alignment (a power of two) and writes it as {@code general.alignment}. */
    public GgufWriter alignment(int alignment) {
        if (alignment <= 0 || (alignment & (alignment - 1)) != 0) throw new IllegalArgumentException("alignment " + alignment + " is not a power of 2");
        this.alignment = alignment;
        return put("general.alignment", GgufValueType.UINT32, (long) alignment);
    }

    public GgufWriter putString(String key, String value) { return put(key, GgufValueType.STRING, value); }
    public GgufWriter putBool(String key, boolean value) { return put(key, GgufValueType.BOOL, value); }
    public GgufWriter putUInt8(String key, int value) { return put(key, GgufValueType.UINT8, value); }
    public GgufWriter putInt8(String key, int value) { return put(key, GgufValueType.INT8, value); }
    public GgufWriter putUInt16(String key, int value) { return put(key, GgufValueType.UINT16, value); }
    public GgufWriter putInt16(String key, int value) { return put(key, GgufValueType.INT16, value); }
    public GgufWriter putUInt32(String key, long value) { return put(key, GgufValueType.UINT32, value); }
    public GgufWriter putInt32(String key, int value) { return put(key, GgufValueType.INT32, value); }
    /** A u64; values of 2^63 and above are passed as negative longs (two's complement). */
    public GgufWriter putUInt64(String key, long value) { return put(key, GgufValueType.UINT64, value); }
    public GgufWriter putInt64(String key, long value) { return put(key, GgufValueType.INT64, value); }
    public GgufWriter putFloat32(String key, float value) { return put(key, GgufValueType.FLOAT32, value); }
    public GgufWriter putFloat64(String key, double value) { return put(key, GgufValueType.FLOAT64, value); }

    /** An array of {@code elementType}; elements as {@link #put} takes them, or {@link Array}s for nested arrays. */
    public GgufWriter putArray(String key, GgufValueType elementType, List<?> values) {
        return put(key, GgufValueType.ARRAY, new Array(elementType, values));
    }

    public GgufWriter putStrings(String key, List<String> values) { return putArray(key, GgufValueType.STRING, values); }

    public GgufWriter putFloats(String key, float[] values) {
        Float[] boxed = new Float[values.length];
        for (int i = 0; i < values.length; i++) boxed[i] = values[i];
        return putArray(key, GgufValueType.FLOAT32, Arrays.asList(boxed));
    }

    public GgufWriter putInts(String key, int[] values) {
        return putArray(key, GgufValueType.INT32, Arrays.stream(values).boxed().toList());
    }

    /**
     * Puts a value of the given type. Numbers may be any {@link Number} in the type's range; STRING takes a
     * String, BOOL a Boolean, ARRAY an {@link Array}. Checked now, so a bad value fails here, not mid-write.
     */
    public GgufWriter put(String key, GgufValueType type, Object value) {
        Objects.requireNonNull(key, "key");
        if (key.isEmpty()) throw new IllegalArgumentException("empty metadata key");
        check(type, value, key);
        if (key.equals("general.alignment")) {
            if (type != GgufValueType.UINT32) throw new IllegalArgumentException("general.alignment must be UINT32");
            long a = ((Number) value).longValue();
            if (a <= 0 || (a & (a - 1)) != 0) throw new IllegalArgumentException("alignment " + a + " is not a power of 2");
            alignment = (int) a;
        }
        kv.put(key, new Entry(type, value));
        return this;
    }

    /** Copies all metadata of {@code file}, with the types it has there. */
    public GgufWriter putAll(GgufFile file) {
        for (Map.Entry<String, Object> e : file.metadata().entrySet()) {
            GgufValueType t = file.type(e.getKey());
            Object v = e.getValue();
            if (t == GgufValueType.ARRAY) v = toArray(v);
            put(e.getKey(), t, v);
        }
        return this;
    }

    private static Array toArray(Object list) {
        GgufValueType et = list instanceof PrimitiveList p ? p.type() : ((GgufFile.TypedList) list).elementType;
        List<?> l = (List<?>) list;
        if (et == GgufValueType.ARRAY) {
            List<Object> nested = new ArrayList<>(l.size());
            for (Object o : l) nested.add(toArray(o));
            return new Array(et, nested);
        }
        return new Array(et, l);
    }

    /** Removes a metadata key. */
    public GgufWriter remove(String key) {
        kv.remove(key);
        return this;
    }

    private static void check(GgufValueType type, Object value, String key) {
        Objects.requireNonNull(type, "type");
        if (value == null) throw new IllegalArgumentException(key + ": null value");
        switch (type) {
            case STRING -> { if (!(value instanceof String)) throw wrong(key, type, value); }
            case BOOL -> { if (!(value instanceof Boolean)) throw wrong(key, type, value); }
            case FLOAT32, FLOAT64 -> { if (!(value instanceof Number)) throw wrong(key, type, value); }
            case ARRAY -> {
                if (!(value instanceof Array a)) throw wrong(key, type, value);
                int i = 0;
                for (Object o : a.values()) check(a.elementType(), o, key + "[" + i++ + "]");
            }
            default -> {
                if (!(value instanceof Number n) || value instanceof Float || value instanceof Double) throw wrong(key, type, value);
                long v = n.longValue();
                boolean ok = switch (type) {
                    case UINT8 -> v >= 0 && v <= 0xFF;
                    case INT8 -> v >= Byte.MIN_VALUE && v <= Byte.MAX_VALUE;
                    case UINT16 -> v >= 0 && v <= 0xFFFF;
                    case INT16 -> v >= Short.MIN_VALUE && v <= Short.MAX_VALUE;
                    case UINT32 -> v >= 0 && v <= 0xFFFF_FFFFL;
                    case INT32 -> v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE;
                    default -> true; // INT64, UINT64
                };
                if (!ok) throw new IllegalArgumentException(key + ": " + v + " is out of range for " + type);
            }
        }
    }

    private static IllegalArgumentException wrong(String key, GgufValueType type, Object value) {
        return new IllegalArgumentException(key + ": a " + value.getClass().getSimpleName() + " is not a " + type + " value");
    }

    // ---------------------------------------------------------------- tensors

    /**
     * Adds a tensor. {@code shape} is in GGUF order (shape[0] = ne0, the row length). Rows data must target
     * F32, F16, BF16, Q8_0 or Q4_0; raw data any type.
     */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, TensorData data) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(data, "data");
        if (name.getBytes(StandardCharsets.UTF_8).length >= GgufFile.MAX_NAME) {
            throw new IllegalArgumentException("tensor name '" + name + "' is longer than " + (GgufFile.MAX_NAME - 1) + " bytes");
        }
        if (tensorNames.containsKey(name)) throw new IllegalArgumentException("duplicate tensor name '" + name + "'");
        if (shape.length < 1 || shape.length > GgufFile.MAX_DIMS) throw new IllegalArgumentException(name + ": " + shape.length + " dimensions (1 to 4)");
        long bytes = type.byteSize(shape); // checks block multiple, negatives, overflow
        if (data instanceof TensorData.Rows) {
            switch (type) {
                case F32, F16, BF16, Q8_0, Q4_0 -> {}
                default -> throw new IllegalArgumentException(name + ": converting float rows to " + type
                        + " is not implemented; write F16/F32 and quantize with llama-quantize, or supply raw bytes");
            }
            if (shape[0] > (1 << 28)) throw new IllegalArgumentException(name + ": rows of " + shape[0] + " elements are too long");
        }
        Tensor t = new Tensor(name, type, shape.clone(), bytes, data);
        tensors.add(t);
        tensorNames.put(name, t);
        return this;
    }

    /** Adds a tensor whose values are all in {@code values} (ne0 fastest). */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, float[] values) {
        long n = 1;
        for (long d : shape) n *= d;
        if (n != values.length) throw new IllegalArgumentException(name + ": " + values.length + " values for shape " + Arrays.toString(shape));
        return addTensor(name, type, shape, TensorData.of(values));
    }

    // ---------------------------------------------------------------- writing

    /**
     * Writes the file: to a temporary sibling first, moved into place when complete, so a failed or
     * interrupted write never leaves a partial file under {@code out}'s name.
     *
     * @return the number of bytes written
     */
    public long write(Path out) throws IOException {
        Path dir = out.toAbsolutePath().getParent();
        if (dir != null) Files.createDirectories(dir);
        Path tmp = (dir == null ? Path.of(".") : dir).resolve(out.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try {
            long n;
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                n = write(ch);
            }
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return n;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Writes the file to a channel positioned at the file's start; returns the bytes written. */
    public long write(WritableByteChannel ch) throws IOException {
        Out out = new Out(ch);
        out.i32(GgufFile.MAGIC);
        out.i32(3);
        out.i64(tensors.size());
        out.i64(kv.size());
        for (Map.Entry<String, Entry> e : kv.entrySet()) {
            out.str(e.getKey());
            out.i32(e.getValue().type().id());
            value(out, e.getValue().type(), e.getValue().value());
        }
        long offset = 0;
        for (Tensor t : tensors) {
            out.str(t.name());
            out.i32(t.shape().length);
            for (long d : t.shape()) out.i64(d);
            out.i32(t.type().id());
            out.i64(offset);
            offset += pad(t.byteSize());
        }
        out.pad(alignment);
        for (Tensor t : tensors) {
            long start = out.written;
            switch (t.data()) {
                case TensorData.Rows r -> rows(out, t, r.source());
                case TensorData.Raw r -> r.source().writeTo(out.asChannel());
            }
            long wrote = out.written - start;
            if (wrote != t.byteSize()) {
                throw new IOException("tensor '" + t.name() + "': its data source wrote " + wrote + " bytes, expected " + t.byteSize());
            }
            out.pad(alignment);
        }
        out.flush();
        return out.written;
    }

    private long pad(long n) {
        return (n + alignment - 1) / alignment * alignment;
    }

    private static void value(Out out, GgufValueType type, Object v) throws IOException {
        switch (type) {
            case UINT8, INT8 -> out.u8(((Number) v).intValue());
            case BOOL -> out.u8((Boolean) v ? 1 : 0);
            case UINT16, INT16 -> out.i16(((Number) v).intValue());
            case UINT32, INT32 -> out.i32((int) ((Number) v).longValue());
            case FLOAT32 -> out.i32(Float.floatToRawIntBits(((Number) v).floatValue()));
            case UINT64, INT64 -> out.i64(((Number) v).longValue());
            case FLOAT64 -> out.i64(Double.doubleToRawLongBits(((Number) v).doubleValue()));
            case STRING -> out.str((String) v);
            case ARRAY -> {
                Array a = (Array) v;
                out.i32(a.elementType().id());
                out.i64(a.values().size());
                for (Object o : a.values()) value(out, a.elementType(), o);
            }
        }
    }

    private static void rows(Out out, Tensor t, TensorData.RowSource src) throws IOException {
        int ne0 = (int) t.shape()[0];
        long nrows = 1;
        for (int i = 1; i < t.shape().length; i++) nrows *= t.shape()[i];
        if (ne0 == 0) nrows = 0;
        float[] row = new float[ne0];
        byte[] q = t.type() == GgmlType.Q8_0 || t.type() == GgmlType.Q4_0 ? new byte[(int) t.type().rowSize(ne0)] : null;
        for (long r = 0; r < nrows; r++) {
            src.fill(r, row);
            switch (t.type()) {
                case F32 -> { for (float f : row) out.i32(Float.floatToRawIntBits(f)); }
                case F16 -> { for (float f : row) out.i16(GgmlQuants.fp32ToFp16Fast(f)); }
                case BF16 -> { for (float f : row) out.i16(GgmlQuants.fp32ToBf16(f)); }
                case Q8_0 -> { GgmlQuants.quantizeRowQ8_0(row, 0, ne0, q, 0); out.bytes(q, 0, q.length); }
                case Q4_0 -> { GgmlQuants.quantizeRowQ4_0(row, 0, ne0, q, 0); out.bytes(q, 0, q.length); }
                default -> throw new IllegalStateException(t.type().toString());
            }
        }
    }

    /** A little-endian buffered sink that counts what it writes. */
    private static final class Out {
        private final WritableByteChannel ch;
        private final ByteBuffer buf = ByteBuffer.allocate(1 << 22).order(ByteOrder.LITTLE_ENDIAN);
        long written;

        Out(WritableByteChannel ch) {
            this.ch = ch;
        }

        private void room(int n) throws IOException {
            if (buf.remaining() < n) flush();
        }

        void flush() throws IOException {
            buf.flip();
            while (buf.hasRemaining()) ch.write(buf);
            buf.clear();
        }

        void u8(int v) throws IOException { room(1); buf.put((byte) v); written += 1; }
        void i16(int v) throws IOException { room(2); buf.putShort((short) v); written += 2; }
        void i32(int v) throws IOException { room(4); buf.putInt(v); written += 4; }
        void i64(long v) throws IOException { room(8); buf.putLong(v); written += 8; }

        void bytes(byte[] b, int off, int len) throws IOException {
            while (len > 0) {
                if (!buf.hasRemaining()) flush();
                int n = Math.min(len, buf.remaining());
                buf.put(b, off, n);
                off += n;
                len -= n;
                written += n;
            }
        }

        void str(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            i64(b.length);
            bytes(b, 0, b.length);
        }

        void pad(int alignment) throws IOException {
            while (written % alignment != 0) u8(0);
        }

        WritableByteChannel asChannel() {
            return new WritableByteChannel() {
                boolean open = true;

                @Override
                public int write(ByteBuffer src) throws IOException {
                    if (!open) throw new ClosedChannelException();
                    int n = src.remaining();
                    while (src.hasRemaining()) {
                        if (!buf.hasRemaining()) flush();
                        int k = Math.min(src.remaining(), buf.remaining());
                        ByteBuffer slice = src.slice(src.position(), k);
                        buf.put(slice);
                        src.position(src.position() + k);
                    }
                    written += n;
                    return n;
                }

                @Override public boolean isOpen() { return open; }
                @Override public void close() { open = false; }
            };
        }
    }
}
