package dev.mica.gguf;

/**
 * ggml tensor types with llama.cpp's numbering ({@code enum ggml_type} in {@code ggml/include/ggml.h},
 * snapshot {@code de3ff81}), block size (elements per block) and bytes per block, as ggml's
 * {@code type_traits} table has them. Numbers that llama.cpp removed (4, 5, 31–33, 36–38) have no constant.
 */
public enum GgmlType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    Q4_0(2, 32, 18),
    Q4_1(3, 32, 20),
    Q5_0(6, 32, 22),
    Q5_1(7, 32, 24),
    Q8_0(8, 32, 34),
    Q8_1(9, 32, 36),
    Q2_K(10, 256, 84),
    Q3_K(11, 256, 110),
    Q4_K(12, 256, 144),
    Q5_K(13, 256, 176),
    Q6_K(14, 256, 210),
    Q8_K(15, 256, 292),
    IQ2_XXS(16, 256, 66),
    IQ2_XS(17, 256, 74),
    IQ3_XXS(18, 256, 98),
    IQ1_S(19, 256, 50),
    IQ4_NL(20, 32, 18),
    IQ3_S(21, 256, 110),
    IQ2_S(22, 256, 82),
    IQ4_XS(23, 256, 136),
    I8(24, 1, 1),
    I16(25, 1, 2),
    I32(26, 1, 4),
    I64(27, 1, 8),
    F64(28, 1, 8),
    IQ1_M(29, 256, 56),
    BF16(30, 1, 2),
    TQ1_0(34, 256, 54),
    TQ2_0(35, 256, 66),
    MXFP4(39, 32, 17),
    NVFP4(40, 64, 36),
    Q1_0(41, 128, 18),
    Q2_0(42, 64, 18);

    /** One past the highest number llama.cpp knows ({@code GGML_TYPE_COUNT}). */
    public static final int COUNT = 43;

    private static final GgmlType[] BY_ID = new GgmlType[COUNT];
    static {
        for (GgmlType t : values()) BY_ID[t.id] = t;
    }

    private final int id;
    private final int blockSize;
    private final int typeSize;

    GgmlType(int id, int blockSize, int typeSize) {
        this.id = id;
        this.blockSize = blockSize;
        this.typeSize = typeSize;
    }

    /** llama.cpp's number for this type, as stored in GGUF tensor infos. */
    public int id() { return id; }

    /** Elements per block ({@code ggml_blck_size}); 1 for unquantized types. */
    public int blockSize() { return blockSize; }

    /** Bytes per block ({@code ggml_type_size}). */
    public int typeSize() { return typeSize; }

    /** Whether this is a block-quantized type (block size above 1). */
    public boolean isQuantized() { return blockSize > 1; }

    /** ggml's lower-case name ({@code ggml_type_name}): "f32", "q4_K", "iq2_xxs", "bf16". */
    public String ggmlName() {
        String n = name();
        // ggml keeps the "_K" suffix upper case, everything else lower case
        return n.endsWith("_K") ? n.substring(0, n.length() - 2).toLowerCase(java.util.Locale.ROOT) + "_K"
                                : n.toLowerCase(java.util.Locale.ROOT);
    }

    /** The type with llama.cpp's number {@code id}, or null when there is none (unknown or removed). */
    public static GgmlType byId(int id) {
        return id >= 0 && id < COUNT ? BY_ID[id] : null;
    }

    /**
     * Bytes of a row of {@code ne0} elements ({@code ggml_row_size}).
     * @throws IllegalArgumentException if ne0 is negative or not a multiple of the block size
     */
    public long rowSize(long ne0) {
        if (ne0 < 0 || ne0 % blockSize != 0) {
            throw new IllegalArgumentException(name() + ": row of " + ne0 + " elements is not a multiple of the block size " + blockSize);
        }
        return Math.multiplyExact(ne0 / blockSize, (long) typeSize);
    }

    /**
     * Exact bytes of a tensor of this type with shape {@code ne} (ne[0] is the row length, as in GGUF).
     * @throws IllegalArgumentException if ne[0] is not a multiple of the block size, a dimension is
     *         negative, or the size overflows a long
     */
    public long byteSize(long... ne) {
        if (ne.length == 0) return typeSize; // a scalar: one element
        long size = rowSize(ne[0]);
        for (int i = 1; i < ne.length; i++) {
            if (ne[i] < 0) throw new IllegalArgumentException("negative dimension " + ne[i]);
            size = Math.multiplyExact(size, ne[i]);
        }
        return size;
    }
}
