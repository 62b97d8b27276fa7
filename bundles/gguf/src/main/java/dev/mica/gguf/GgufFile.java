package dev.mica.gguf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The header of a GGUF file (versions 2 and 3): metadata and tensor infos. Reading never touches tensor
 * data: {@link #read(Path)} reads the header through a FileChannel with bounded reads, and checks
 * everything a hostile file could lie about (lengths, counts, nesting, types, shapes, offsets, overlap)
 * against {@link Limits} and against the bytes the file really has, throwing {@link GgufException}
 * with the offset and the key or tensor at fault.
 *
 * <p>Metadata values are read as the Java types {@link GgufValueType} lists: Integer (u8, i8, u16,
 * i16, i32), Long (u32, i64, u64), Float, Double, Boolean, String, and immutable {@code List<Object>}
 * for arrays. Use {@link #integer(String)} to read any integer type as a long.
 *
 * <p>An instance is immutable and holds no open file.
 */
public final class GgufFile {

    /** "GGUF" read as a little-endian u32. */
    public static final int MAGIC = 0x46554747;
    /** The alignment of the data section and of each tensor when {@code general.alignment} is absent. */
    public static final int DEFAULT_ALIGNMENT = 32;
    /** ggml's GGML_MAX_DIMS. */
    public static final int MAX_DIMS = 4;
    /** ggml's GGML_MAX_NAME: tensor names are shorter than this (in UTF-8 bytes). */
    public static final int MAX_NAME = 64;

    /**
     * What the reader accepts. The defaults take any real model (the largest vocabularies have a few
     * hundred thousand tokens and merges) and keep a hostile file's cost to a bounded amount of memory.
     *
     * @param maxStringBytes        longest string value or key, in bytes
     * @param maxArrayElements      most elements of one array
     * @param maxTotalArrayElements most array elements in the whole metadata
     * @param maxMetadataBytes      most bytes of the key-value section
     * @param maxArrayDepth         deepest nesting of arrays (1: arrays of scalars only)
     * @param maxKeys               most metadata keys
     * @param maxTensors            most tensors
     */
    public record Limits(long maxStringBytes, long maxArrayElements, long maxTotalArrayElements,
                         long maxMetadataBytes, int maxArrayDepth, long maxKeys, long maxTensors) {
        public static final Limits DEFAULT = new Limits(64L << 20, 16L << 20, 32L << 20, 512L << 20, 4, 1L << 20, 1L << 20);
    }

    private final Path path;
    private final long fileSize;
    private final int version;
    private final int alignment;
    private final Map<String, Object> metadata;
    private final Map<String, GgufValueType> types;
    private final List<GgufTensor> tensors;
    private final Map<String, GgufTensor> byName;
    private final long dataOffset;

    private GgufFile(Path path, long fileSize, int version, int alignment, Map<String, Object> metadata,
                     Map<String, GgufValueType> types, List<GgufTensor> tensors, long dataOffset) {
        this.path = path;
        this.fileSize = fileSize;
        this.version = version;
        this.alignment = alignment;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.types = types;
        this.tensors = Collections.unmodifiableList(tensors);
        Map<String, GgufTensor> m = new HashMap<>();
        for (GgufTensor t : tensors) m.put(t.name(), t);
        this.byName = m;
        this.dataOffset = dataOffset;
    }

    /** Reads the header of the GGUF file at {@code path} with the default {@link Limits}. */
    public static GgufFile read(Path path) throws IOException {
        return read(path, Limits.DEFAULT);
    }

    /**
     * Reads the header of the GGUF file at {@code path}.
     *
     * @throws GgufException the file is not a well-formed GGUF v2/v3 file within the limits
     * @throws IOException   the file cannot be read
     */
    public static GgufFile read(Path path, Limits limits) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            return new Parser(path.toString(), path, ch::read, size, limits).parse();
        }
    }

    // ---------------------------------------------------------------- accessors

    /** The file this header was read from (null for a header parsed from memory). */
    public Path path() { return path; }

    /** The file's size in bytes when it was read. */
    public long fileSize() { return fileSize; }

    /** GGUF version: 2 or 3. */
    public int version() { return version; }

    /** Alignment of the data section and the tensors ({@code general.alignment}, default 32). */
    public int alignment() { return alignment; }

    /** All metadata in file order (immutable). */
    public Map<String, Object> metadata() { return metadata; }

    /** The GGUF type of a metadata value, or null when the key is absent. */
    public GgufValueType type(String key) { return types.get(key); }

    /** The element type of an array value, or null when the key is absent or not an array. */
    public GgufValueType arrayType(String key) {
        Object v = metadata.get(key);
        if (v instanceof PrimitiveList p) return p.type();
        if (v instanceof TypedList t) return t.elementType;
        return null;
    }

    /** Tensor infos in file order (immutable). */
    public List<GgufTensor> tensors() { return tensors; }

    /** The tensor with this name, or null. */
    public GgufTensor tensor(String name) { return byName.get(name); }

    /** Absolute offset of the data section (tensor offsets are relative to it in the file). */
    public long dataOffset() { return dataOffset; }

    /** A string value, or null when the key is absent or not a string. */
    public String string(String key) {
        return metadata.get(key) instanceof String s ? s : null;
    }

    /** An integer value of any integer type, or null when the key is absent or not an integer. */
    public Long integer(String key) {
        Object v = metadata.get(key);
        if (v instanceof Integer i) return i.longValue();
        if (v instanceof Long l) return l;
        return null;
    }

    /** An integer value of any integer type, or {@code dflt} when the key is absent or not an integer. */
    public long integer(String key, long dflt) {
        Long v = integer(key);
        return v == null ? dflt : v;
    }

    /** A numeric value of any numeric type as a double, or null. */
    public Double number(String key) {
        return metadata.get(key) instanceof Number n ? n.doubleValue() : null;
    }

    /** A boolean value, or null. */
    public Boolean bool(String key) {
        return metadata.get(key) instanceof Boolean b ? b : null;
    }

    /** An array value, or null. */
    @SuppressWarnings("unchecked")
    public List<Object> array(String key) {
        return metadata.get(key) instanceof List<?> l ? (List<Object>) l : null;
    }

    /** {@code general.architecture} ("llama", "qwen3", ...), or null. */
    public String architecture() { return string("general.architecture"); }

    /** The sum of the element counts of all tensors. */
    public long parameterCount() {
        long n = 0;
        for (GgufTensor t : tensors) n += t.elementCount();
        return n;
    }

    /** {@code general.file_type} as llama.cpp's enum, or null when absent or unknown. */
    public LlamaFileType llamaFileType() {
        Long v = integer("general.file_type");
        return v == null ? null : LlamaFileType.byId(v);
    }

    /**
     * {@code general.file_type} as a name like "Q4_K_M", "F16", "Q8_0" (llama.cpp's {@code llama_ftype}
     * names), "unknown(N)" for a number llama.cpp does not know, or null when the key is absent.
     */
    public String fileType() {
        Long v = integer("general.file_type");
        if (v == null) return null;
        LlamaFileType t = LlamaFileType.byId(v);
        return t == null ? "unknown(" + v + ")" : t.label();
    }

    @Override
    public String toString() {
        return "GgufFile[" + path + ", v" + version + ", " + metadata.size() + " keys, " + tensors.size() + " tensors]";
    }

    // ---------------------------------------------------------------- parsing

    /** An immutable list of strings or arrays that remembers its GGUF element type. */
    static final class TypedList extends java.util.AbstractList<Object> implements java.util.RandomAccess {
        final GgufValueType elementType;
        private final Object[] items;

        TypedList(GgufValueType elementType, Object[] items) {
            this.elementType = elementType;
            this.items = items;
        }

        @Override public Object get(int i) { return items[i]; }
        @Override public int size() { return items.length; }
    }

    /** Reads bytes at a position, as {@link FileChannel#read(ByteBuffer, long)} does. */
    @FunctionalInterface
    interface Source {
        int read(ByteBuffer dst, long position) throws IOException;
    }

    /** Parses a header held in memory (tests, and files already in memory). */
    static GgufFile read(String name, byte[] bytes, Limits limits) throws IOException {
        Source src = (dst, position) -> {
            if (position >= bytes.length) return -1;
            int n = (int) Math.min(dst.remaining(), bytes.length - position);
            dst.put(bytes, (int) position, n);
            return n;
        };
        return new Parser(name, null, src, bytes.length, limits).parse();
    }

    private static final class Parser {
        private static final int BUF = 1 << 16;

        private final String name;
        private final Path path;
        private final Source ch;
        private final Limits limits;
        private final long size;
        private final ByteBuffer buf = ByteBuffer.allocate(BUF).order(ByteOrder.LITTLE_ENDIAN);
        private long bufStart;     // file offset of buf[0]
        private long totalArrayElements;
        private long kvStart;

        Parser(String name, Path path, Source ch, long size, Limits limits) {
            this.name = name;
            this.path = path;
            this.ch = ch;
            this.limits = limits;
            this.size = size;
            buf.limit(0);   // read mode, empty
        }

        private long pos() { return bufStart + buf.position(); }

        private long remaining() { return size - pos(); }

        private GgufException error(long at, String msg) {
            return new GgufException("GGUF " + name + ": " + msg + " (at byte offset " + at + " of " + size + ")");
        }

        /** Makes n bytes (n <= BUF) available in the buffer, or throws naming {@code what}. */
        private void need(int n, String what) throws GgufException {
            if (buf.remaining() >= n) return;
            long p = pos();
            if (size - p < n) throw error(p, "truncated: " + what + " needs " + n + " bytes, the file has " + (size - p) + " left");
            buf.compact();              // unread bytes move to index 0; the buffer is now in write mode
            bufStart = p;
            int zeroReads = 0;
            try {
                while (buf.position() < n) {
                    int r = ch.read(buf, bufStart + buf.position());
                    if (r < 0) throw error(p, "truncated: unexpected end of file reading " + what);
                    if (r == 0 && ++zeroReads > 100) throw error(p, "the file stopped yielding bytes reading " + what);
                }
            } catch (GgufException e) {
                throw e;
            } catch (IOException e) {
                throw new GgufException("GGUF " + name + ": I/O error reading " + what + " at byte offset " + p + ": " + e.getMessage(), e);
            } finally {
                buf.flip();
            }
        }

        private int u8(String what) throws GgufException { need(1, what); return buf.get() & 0xFF; }
        private int i32(String what) throws GgufException { need(4, what); return buf.getInt(); }
        private long i64(String what) throws GgufException { need(8, what); return buf.getLong(); }

        /** A u64 count or length: negative (2^63 and above) is always absurd. */
        private long count(String what) throws GgufException {
            long at = pos();
            long v = i64(what);
            if (v < 0) throw error(at, what + " is absurd: " + Long.toUnsignedString(v));
            return v;
        }

        private byte[] bytes(long n, String what) throws GgufException {
            long at = pos();
            if (n > remaining()) throw error(at, "truncated: " + what + " of " + n + " bytes, the file has " + remaining() + " left");
            byte[] out = new byte[(int) n];
            int done = Math.min(buf.remaining(), out.length);
            buf.get(out, 0, done);
            if (done < out.length) {
                long p = pos();
                ByteBuffer dst = ByteBuffer.wrap(out, done, out.length - done);
                try {
                    int zeroReads = 0;
                    while (dst.hasRemaining()) {
                        int r = ch.read(dst, p + dst.position() - done);
                        if (r < 0) throw error(at, "truncated: unexpected end of file reading " + what);
                        if (r == 0 && ++zeroReads > 100) throw error(at, "the file stopped yielding bytes reading " + what);
                    }
                } catch (GgufException e) {
                    throw e;
                } catch (IOException e) {
                    throw new GgufException("GGUF " + name + ": I/O error reading " + what + " at byte offset " + at + ": " + e.getMessage(), e);
                }
                bufStart = p + (out.length - done);
                buf.clear().limit(0);
            }
            return out;
        }

        private String string(long max, String what) throws GgufException {
            long at = pos();
            long n = count("length of " + what);
            if (n > max) throw error(at, what + " has length " + n + ", above the limit of " + max + " bytes");
            if (n > remaining()) throw error(at, "truncated: " + what + " has length " + n + ", the file has " + remaining() + " bytes left");
            if (n == 0) return "";
            return new String(bytes(n, what), StandardCharsets.UTF_8);
        }

        GgufFile parse() throws IOException {
            if (size < 4) throw error(0, "not a GGUF file: " + size + " bytes, too short for the magic");
            int magic = i32("magic");
            if (magic != MAGIC) {
                throw error(0, "not a GGUF file: magic is " + printable(magic) + ", expected 'GGUF'");
            }
            int version = i32("version");
            if (version == 1) throw error(4, "GGUF version 1 is not supported (only 2 and 3)");
            if (version != 0 && (version & 0xFFFF) == 0) throw error(4, "GGUF version " + Integer.toUnsignedString(version)
                    + " looks byte-swapped: big-endian GGUF files are not supported");
            if (version != 2 && version != 3) throw error(4, "unsupported GGUF version " + Integer.toUnsignedString(version) + " (only 2 and 3)");

            long tensorCountAt = pos();
            long nTensors = count("tensor count");
            long kvCountAt = pos();
            long nKv = count("metadata key count");
            if (nTensors > limits.maxTensors()) throw error(tensorCountAt, "tensor count " + nTensors + " is above the limit of " + limits.maxTensors());
            if (nKv > limits.maxKeys()) throw error(kvCountAt, "metadata key count " + nKv + " is above the limit of " + limits.maxKeys());
            // each key-value takes at least 8 (key length) + 1 (key) + 4 (type) + 1 (value) bytes,
            // each tensor info at least 8 (name length) + 4 (n_dims) + 4 (type) + 8 (offset)
            if (nKv * 14 + nTensors * 24 > remaining()) {
                throw error(tensorCountAt, "truncated or absurd header: " + nTensors + " tensors and " + nKv
                        + " keys cannot fit in the " + remaining() + " bytes left");
            }

            // metadata
            kvStart = pos();
            LinkedHashMap<String, Object> md = new LinkedHashMap<>();
            LinkedHashMap<String, GgufValueType> types = new LinkedHashMap<>();
            for (long i = 0; i < nKv; i++) {
                long at = pos();
                String key = string(Math.min(limits.maxStringBytes(), 65536), "key of metadata entry " + i);
                if (key.isEmpty()) throw error(at, "metadata entry " + i + " has an empty key");
                if (md.containsKey(key)) throw error(at, "duplicate metadata key '" + key + "'");
                long typeAt = pos();
                int typeId = i32("type of '" + key + "'");
                GgufValueType type = GgufValueType.byId(typeId);
                if (type == null) throw error(typeAt, "metadata key '" + key + "' has invalid value type " + typeId);
                Object value = value(type, 0, "'" + key + "'");
                md.put(key, value);
                types.put(key, type);
                checkMetadataBytes(key);
            }

            int alignment = DEFAULT_ALIGNMENT;
            if (md.containsKey("general.alignment")) {
                if (types.get("general.alignment") != GgufValueType.UINT32) {
                    throw error(kvStart, "general.alignment has type " + types.get("general.alignment") + ", expected UINT32");
                }
                long a = (Long) md.get("general.alignment");
                if (a == 0 || (a & (a - 1)) != 0 || a > (1L << 30)) {
                    throw error(kvStart, "general.alignment " + a + " is not a power of 2 (up to 2^30)");
                }
                alignment = (int) a;
            }

            // tensor infos
            List<GgufTensor> infos = new ArrayList<>((int) Math.min(nTensors, 4096));
            long[] relOffsets = new long[(int) nTensors];
            HashMap<String, Integer> names = new HashMap<>();
            for (int i = 0; i < nTensors; i++) {
                long at = pos();
                String name = string(MAX_NAME - 1, "name of tensor " + i + " (ggml allows " + (MAX_NAME - 1) + " bytes)");
                Integer dup = names.putIfAbsent(name, i);
                if (dup != null) throw error(at, "duplicate tensor name '" + name + "' (tensors " + dup + " and " + i + ")");
                String what = "tensor '" + name + "'";
                long dimsAt = pos();
                int nDims = i32("dimension count of " + what);
                if (nDims < 0 || nDims > MAX_DIMS) {
                    throw error(dimsAt, what + " has " + Integer.toUnsignedString(nDims) + " dimensions, ggml allows at most " + MAX_DIMS);
                }
                long[] shape = new long[nDims];
                long elements = 1;
                for (int d = 0; d < nDims; d++) {
                    long neAt = pos();
                    shape[d] = i64("dimension " + d + " of " + what);
                    if (shape[d] < 0) throw error(neAt, what + " dimension " + d + " is negative: " + shape[d]);
                    try {
                        elements = Math.multiplyExact(elements, shape[d]);
                    } catch (ArithmeticException e) {
                        throw error(neAt, what + " shape " + Arrays.toString(shape) + " has more than 2^63 elements");
                    }
                }
                long typeAt = pos();
                int typeId = i32("type of " + what);
                GgmlType type = GgmlType.byId(typeId);
                if (type == null) {
                    throw error(typeAt, what + " has " + (typeId >= 0 && typeId < GgmlType.COUNT ? "a removed" : "an unknown")
                            + " ggml type " + typeId);
                }
                long ne0 = nDims == 0 ? 1 : shape[0];
                if (ne0 % type.blockSize() != 0) {
                    throw error(dimsAt, what + " of type " + type + " has rows of " + ne0 + " elements, not a multiple of the block size " + type.blockSize());
                }
                long bytes;
                try {
                    bytes = Math.multiplyExact(elements / type.blockSize(), (long) type.typeSize());
                } catch (ArithmeticException e) {
                    throw error(dimsAt, what + " shape " + Arrays.toString(shape) + " of type " + type + " is larger than 2^63 bytes");
                }
                long offAt = pos();
                long rel = i64("data offset of " + what);
                if (rel < 0) throw error(offAt, what + " data offset " + Long.toUnsignedString(rel) + " is absurd");
                if (rel % alignment != 0) throw error(offAt, what + " data offset " + rel + " is not a multiple of the alignment " + alignment);
                relOffsets[i] = rel;
                infos.add(new GgufTensor(name, type, shape, rel, bytes)); // offset made absolute below
            }

            long endOfHeader = pos();
            long dataOffset = endOfHeader;
            if (nTensors > 0) {
                dataOffset = (endOfHeader + alignment - 1) / alignment * alignment;
                if (dataOffset > size) {
                    throw error(endOfHeader, "truncated: the data section would start at " + dataOffset + ", beyond the end of the file");
                }
            }
            List<GgufTensor> tensors = new ArrayList<>(infos.size());
            for (int i = 0; i < infos.size(); i++) {
                GgufTensor t = infos.get(i);
                long rel = relOffsets[i];
                long room = size - dataOffset;
                if (rel > room || t.byteSize() > room - rel) {
                    throw error(dataOffset, "tensor '" + t.name() + "' data [" + rel + ", +" + t.byteSize()
                            + ") relative to the data section at " + dataOffset + " lies beyond the end of the file");
                }
                tensors.add(new GgufTensor(t.name(), t.type(), t.shape(), dataOffset + rel, t.byteSize()));
            }
            List<GgufTensor> sorted = new ArrayList<>(tensors);
            sorted.removeIf(t -> t.byteSize() == 0);
            sorted.sort(Comparator.comparingLong(GgufTensor::offset));
            for (int i = 1; i < sorted.size(); i++) {
                GgufTensor a = sorted.get(i - 1), b = sorted.get(i);
                if (a.offset() + a.byteSize() > b.offset()) {
                    throw error(b.offset(), "tensor data overlaps: '" + a.name() + "' [" + a.offset() + ", " + (a.offset() + a.byteSize())
                            + ") and '" + b.name() + "' [" + b.offset() + ", " + (b.offset() + b.byteSize()) + ")");
                }
            }
            return new GgufFile(path, size, version, alignment, md, types, tensors, dataOffset);
        }

        private void checkMetadataBytes(String key) throws GgufException {
            if (pos() - kvStart > limits.maxMetadataBytes()) {
                throw error(pos(), "metadata is larger than the limit of " + limits.maxMetadataBytes() + " bytes (at key '" + key + "')");
            }
        }

        private Object value(GgufValueType type, int depth, String what) throws GgufException {
            return switch (type) {
                case UINT8 -> u8(what);
                case INT8 -> { need(1, what); yield (int) buf.get(); }
                case UINT16 -> { need(2, what); yield buf.getShort() & 0xFFFF; }
                case INT16 -> { need(2, what); yield (int) buf.getShort(); }
                case UINT32 -> i32(what) & 0xFFFF_FFFFL;
                case INT32 -> i32(what);
                case FLOAT32 -> { need(4, what); yield buf.getFloat(); }
                case BOOL -> {
                    long at = pos();
                    int b = u8(what);
                    if (b > 1) throw error(at, what + " is a boolean with value " + b + " (expected 0 or 1)");
                    yield b != 0;
                }
                case STRING -> string(limits.maxStringBytes(), what);
                case UINT64, INT64 -> i64(what);
                case FLOAT64 -> { need(8, what); yield buf.getDouble(); }
                case ARRAY -> array(depth + 1, what);
            };
        }

        private List<Object> array(int depth, String what) throws GgufException {
            long at = pos();
            if (depth > limits.maxArrayDepth()) {
                throw error(at, what + " nests arrays " + depth + " deep, above the limit of " + limits.maxArrayDepth());
            }
            int typeId = i32("element type of array " + what);
            GgufValueType et = GgufValueType.byId(typeId);
            if (et == null) throw error(at, "array " + what + " has invalid element type " + typeId);
            long countAt = pos();
            long n = count("element count of array " + what);
            if (n > limits.maxArrayElements()) {
                throw error(countAt, "array " + what + " has " + n + " elements, above the limit of " + limits.maxArrayElements());
            }
            if (n > remaining() / et.minSize()) {
                throw error(countAt, "truncated: array " + what + " has " + n + " elements of type " + et
                        + ", which cannot fit in the " + remaining() + " bytes left");
            }
            totalArrayElements += n;
            if (totalArrayElements > limits.maxTotalArrayElements()) {
                throw error(countAt, "metadata arrays hold more than the limit of " + limits.maxTotalArrayElements() + " elements in all (at " + what + ")");
            }
            int len = (int) n;
            String elem = "element of array " + what;
            switch (et) {
                case UINT8, INT8, BOOL -> {
                    byte[] a = bytes(len, "array " + what);
                    if (et == GgufValueType.BOOL) {
                        for (int i = 0; i < len; i++) if ((a[i] & 0xFF) > 1) throw error(countAt + 8 + i, "array " + what + " element " + i + " is a boolean with value " + (a[i] & 0xFF));
                    }
                    return new PrimitiveList(et, a, len);
                }
                case UINT16, INT16 -> {
                    short[] a = new short[len];
                    for (int i = 0; i < len; i++) { need(2, elem); a[i] = buf.getShort(); }
                    return new PrimitiveList(et, a, len);
                }
                case UINT32, INT32 -> {
                    int[] a = new int[len];
                    for (int i = 0; i < len; i++) { need(4, elem); a[i] = buf.getInt(); }
                    return new PrimitiveList(et, a, len);
                }
                case FLOAT32 -> {
                    float[] a = new float[len];
                    for (int i = 0; i < len; i++) { need(4, elem); a[i] = buf.getFloat(); }
                    return new PrimitiveList(et, a, len);
                }
                case UINT64, INT64 -> {
                    long[] a = new long[len];
                    for (int i = 0; i < len; i++) { need(8, elem); a[i] = buf.getLong(); }
                    return new PrimitiveList(et, a, len);
                }
                case FLOAT64 -> {
                    double[] a = new double[len];
                    for (int i = 0; i < len; i++) { need(8, elem); a[i] = buf.getDouble(); }
                    return new PrimitiveList(et, a, len);
                }
                case STRING -> {
                    Object[] a = new Object[len];
                    for (int i = 0; i < len; i++) {
                        a[i] = string(limits.maxStringBytes(), "string " + i + " of array " + what);
                        if ((i & 1023) == 0) checkMetadataBytes(what);
                    }
                    return new TypedList(et, a);
                }
                case ARRAY -> {
                    Object[] a = new Object[len];
                    for (int i = 0; i < len; i++) a[i] = array(depth + 1, "element " + i + " of " + what);
                    return new TypedList(et, a);
                }
                default -> throw new IllegalStateException();
            }
        }

        private static String printable(int magic) {
            StringBuilder sb = new StringBuilder("'");
            for (int i = 0; i < 4; i++) {
                int c = (magic >>> (8 * i)) & 0xFF;
                sb.append(c >= 32 && c < 127 ? (char) c : '?');
            }
            return sb.append("' (0x").append(Integer.toHexString(Integer.reverseBytes(magic))).append(")").toString();
        }
    }
}
