package dev.mica.api.arch;

import java.util.List;
import java.util.Map;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A model's hyperparameters under GGUF's key names. Keys given to the accessors are relative to
 * the architecture's prefix, as llama.cpp names them: {@code integer("block_count")} reads
 * {@code qwen3.block_count} for a {@code qwen3} model. A backend reading a Hugging Face
 * {@code config.json} maps its fields to these keys.
 */
@ProviderType
public interface ModelConfig {
    /** The architecture name the model declares ({@code general.architecture}). */
    String architecture();

    /** All metadata, full keys ("general.name", "llama.block_count"); values as String, Number, Boolean or List. */
    Map<String, Object> metadata();

    /** The value of {@code <architecture>.<key>}, or null. */
    default Object value(String key) {
        return metadata().get(architecture() + "." + key);
    }

    /** A required integer. */
    default int integer(String key) throws ArchitectureException {
        if (value(key) instanceof Number n) {
            return Math.toIntExact(n.longValue());
        }
        throw missing(key, "an integer");
    }

    /** An optional integer. */
    default int integer(String key, int dflt) {
        return value(key) instanceof Number n ? Math.toIntExact(n.longValue()) : dflt;
    }

    /** A required number. */
    default float number(String key) throws ArchitectureException {
        if (value(key) instanceof Number n) {
            return n.floatValue();
        }
        throw missing(key, "a number");
    }

    /** An optional number. */
    default float number(String key, float dflt) {
        return value(key) instanceof Number n ? n.floatValue() : dflt;
    }

    /** An optional boolean. */
    default boolean bool(String key, boolean dflt) {
        return value(key) instanceof Boolean b ? b : dflt;
    }

    /**
     * A per-layer integer: GGUF stores some (head counts, feed-forward widths, recurrent-layer
     * flags) either as one number for all layers or as an array with one entry per layer.
     * Booleans read as 0 or 1.
     */
    default int[] perLayer(String key, int layers, int dflt) throws ArchitectureException {
        Object v = value(key);
        int[] out = new int[layers];
        if (v == null || v instanceof Number) {
            java.util.Arrays.fill(out, v == null ? dflt : Math.toIntExact(((Number) v).longValue()));
            return out;
        }
        if (v instanceof List<?> list && list.size() >= layers) {
            for (int i = 0; i < layers; i++) {
                Object e = list.get(i);
                out[i] = e instanceof Boolean b ? (b ? 1 : 0) : e instanceof Number n ? Math.toIntExact(n.longValue()) : dflt;
            }
            return out;
        }
        throw missing(key, "a number or an array of " + layers);
    }

    private ArchitectureException missing(String key, String what) {
        Object v = value(key);
        return new ArchitectureException(architecture() + "." + key + (v == null ? " is missing" : " is not " + what + ": " + v)
                + " (needed by the " + architecture() + " architecture)");
    }
}
