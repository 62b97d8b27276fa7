package dev.mica.gguf;

/**
 * GGUF metadata value types ({@code enum gguf_type}) and the Java class a value of each type is
 * read as: UINT8, INT8, UINT16, INT16, INT32 → Integer (unsigned types zero-extended); UINT32 → Long;
 * INT64 → Long; UINT64 → Long (two's complement: use {@link Long#toUnsignedString(long)} for values of
 * 2^63 and above); FLOAT32 → Float; FLOAT64 → Double; BOOL → Boolean; STRING → String;
 * ARRAY → {@code List<Object>} (immutable, elements as above).
 */
public enum GgufValueType {
    UINT8(0, 1), INT8(1, 1), UINT16(2, 2), INT16(3, 2), UINT32(4, 4), INT32(5, 4), FLOAT32(6, 4), BOOL(7, 1),
    STRING(8, -1), ARRAY(9, -1), UINT64(10, 8), INT64(11, 8), FLOAT64(12, 8);

    private static final GgufValueType[] BY_ID = values();

    private final int id;
    private final int size;

    GgufValueType(int id, int size) {
        this.id = id;
        this.size = size;
    }

    /** The number stored in the file. */
    public int id() { return id; }

    /** Bytes of one value of a fixed-size type; -1 for STRING and ARRAY. */
    public int size() { return size; }

    /** The smallest number of bytes one value of this type takes in a file. */
    int minSize() {
        return switch (this) {
            case STRING -> 8;      // u64 length
            case ARRAY -> 12;      // u32 element type + u64 count
            default -> size;
        };
    }

    /** The type with this number, or null. */
    public static GgufValueType byId(int id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[id] : null;
    }
}
