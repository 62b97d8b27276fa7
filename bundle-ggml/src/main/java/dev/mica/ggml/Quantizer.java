package dev.mica.ggml;

import dev.mica.api.backend.BackendException;
import dev.mica.ggml.ffm.Layouts;
import dev.mica.ggml.ffm.Llama;
import dev.mica.ggml.ffm.Natives;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

/** {@code llama_model_quantize}: rewrites a GGUF file with its weights in another type. */
final class Quantizer {
    private Quantizer() {}

    static void quantize(Llama llama, Path input, Path output, String type, int threads) throws BackendException {
        int ftype = FileTypes.byName(type).orElseThrow(() -> new IllegalArgumentException(
                "unknown quantization type " + type + "; known: " + FileTypes.known()));
        if (!Files.isRegularFile(input)) {
            throw new BackendException("model file " + input + " does not exist");
        }
        if (input.toAbsolutePath().normalize().equals(output.toAbsolutePath().normalize())) {
            throw new IllegalArgumentException("quantizing needs an output file other than its input");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = llama.modelQuantizeDefaultParams(arena);
            Layouts.QUANT_FTYPE.set(params, 0L, ftype);
            Layouts.QUANT_NTHREAD.set(params, 0L, threads > 0 ? threads : Threads.defaultCount());
            Natives.clearNativeErrors();
            int rc = llama.modelQuantize(arena.allocateFrom(input.toString()), arena.allocateFrom(output.toString()), params);
            if (rc != 0) {
                throw new BackendException(Natives.withNativeErrors("llama.cpp could not quantize " + input + " to " + type));
            }
        }
    }
}
