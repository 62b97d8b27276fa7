package dev.mica.gguf;

import java.util.AbstractList;
import java.util.RandomAccess;

/** An immutable list over a primitive array, boxing on access (GGUF arrays of numbers and booleans). */
final class PrimitiveList extends AbstractList<Object> implements RandomAccess {
    private final GgufValueType type;
    private final Object array;
    private final int size;

    PrimitiveList(GgufValueType type, Object array, int size) {
        this.type = type;
        this.array = array;
        this.size = size;
    }

    GgufValueType type() {
        return type;
    }

    @Override
    public Object get(int i) {
        if (i < 0 || i >= size) throw new IndexOutOfBoundsException(i);
        return switch (type) {
            case UINT8 -> ((byte[]) array)[i] & 0xFF;
            case INT8 -> (int) ((byte[]) array)[i];
            case UINT16 -> ((short[]) array)[i] & 0xFFFF;
            case INT16 -> (int) ((short[]) array)[i];
            case INT32 -> ((int[]) array)[i];
            case UINT32 -> ((int[]) array)[i] & 0xFFFF_FFFFL;
            case INT64, UINT64 -> ((long[]) array)[i];
            case FLOAT32 -> ((float[]) array)[i];
            case FLOAT64 -> ((double[]) array)[i];
            case BOOL -> ((byte[]) array)[i] != 0;
            default -> throw new IllegalStateException(type.toString());
        };
    }

    @Override
    public int size() {
        return size;
    }
}
