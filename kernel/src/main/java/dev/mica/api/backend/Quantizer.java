package dev.mica.api.backend;

import java.nio.file.Path;
import java.util.Set;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Rewrites a model file with its weights in another quantization type, e.g. {@code Q4_K_M} or
 * {@code Q8_0}. Registered as an OSGi service by a backend bundle that can do it (the GGML bundle
 * wraps llama.cpp's quantizer), so the store quantizes on import without depending on a backend.
 * Service property {@link Backend#ID_PROPERTY} names the backend behind it.
 */
@ConsumerType
public interface Quantizer {
    /** File formats this quantizer reads and writes, e.g. {@code gguf} or {@code safetensors}. */
    Set<String> formats();

    /** Type names it accepts (compared without regard to case), e.g. {@code Q4_K_M}. */
    Set<String> types();

    /**
     * Writes {@code output} as {@code input} quantized to {@code type}; blocks until done. For a
     * format of several files ({@code safetensors}: a model folder) {@code input} is the folder and
     * {@code output} an empty folder that receives the files that change (config.json, the new
     * weights); the caller keeps the input's other files, and drops all its weights when the
     * output has any.
     *
     * @throws IllegalArgumentException for a type not in {@link #types()}
     * @throws BackendException when the backend is unavailable or the quantization failed (e.g.
     *     the input is already quantized)
     */
    void quantize(Path input, Path output, String type) throws BackendException;
}
