package dev.mica.api.backend;

import java.util.Map;
import java.util.Set;

/**
 * What a backend learned about a loaded model.
 *
 * @param architecture e.g. "llama", "qwen3", "qwen35moe"
 * @param chatTemplate the model's own (Jinja) chat template, or null
 * @param metadata further key/value metadata (GGUF keys), values as String, Number, Boolean or List
 */
public record ModelInfo(
        String architecture,
        String description,
        int trainedContextLength,
        int vocabSize,
        int embeddingLength,
        long parameterCount,
        String quantization,
        String chatTemplate,
        Set<Capability> capabilities,
        MemoryKind memoryKind,
        Map<String, Object> metadata) {

    public enum Capability { COMPLETION, EMBEDDING, TOOLS, THINKING, VISION, INSERT }

    /**
     * How the model keeps its past. Attention models can drop any tail of a sequence; recurrent and
     * hybrid ones cannot and need state snapshots to resume mid-way.
     */
    public enum MemoryKind { ATTENTION, SLIDING_WINDOW, RECURRENT, HYBRID }
}
