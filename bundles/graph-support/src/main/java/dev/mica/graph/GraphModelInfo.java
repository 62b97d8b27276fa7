package dev.mica.graph;

import dev.mica.api.arch.ForwardPass;
import dev.mica.api.arch.StateLayout;
import dev.mica.api.backend.ModelInfo;
import dev.mica.api.backend.ModelInfo.Capability;
import dev.mica.api.backend.ModelInfo.MemoryKind;
import dev.mica.api.backend.Tokenizer;
import dev.mica.gguf.GgufFile;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The {@link ModelInfo} of a model an architecture bundle builds, from what its file says and what the pass needs. */
public final class GraphModelInfo {
    private GraphModelInfo() {}

    /** From a GGUF file's metadata. */
    public static ModelInfo of(GgufFile file, ForwardPass pass, Tokenizer tokenizer) {
        String arch = file.architecture();
        String general = file.string("general.name");
        return of(arch, general == null ? arch : general, (int) file.integer(arch + ".context_length", 0),
                (int) file.integer(arch + ".embedding_length", 0), file.parameterCount(), file.fileType() == null ? "unknown" : file.fileType(),
                file.string("tokenizer.chat_template"), file.metadata(), pass, tokenizer);
    }

    /** What every format tells alike: capabilities from the chat template and the pooling, memory kind from the pass. */
    public static ModelInfo of(String arch, String title, int context, int embedding, long parameters, String fileType, String template,
                               Map<String, Object> allMetadata, ForwardPass pass, Tokenizer tokenizer) {
        Map<String, Object> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : allMetadata.entrySet()) {
            // the vocabulary's big arrays are the tokenizer's business, as in libllama's metadata
            if (!(e.getValue() instanceof List<?>)) metadata.put(e.getKey(), e.getValue());
        }
        EnumSet<Capability> caps = EnumSet.of(Capability.COMPLETION);
        if (template != null && template.contains("tools")) caps.add(Capability.TOOLS);
        if (template != null && template.contains("<think>")) caps.add(Capability.THINKING);
        if (Pooling.declared(allMetadata, arch)) caps.add(Capability.EMBEDDING);
        StateLayout state = pass.state();
        MemoryKind kind = state.hasRecurrent() ? (state.hasAttention() ? MemoryKind.HYBRID : MemoryKind.RECURRENT) : MemoryKind.ATTENTION;
        return new ModelInfo(arch, title, context, tokenizer == null ? pass.vocabSize() : tokenizer.vocabSize(), embedding, parameters,
                fileType, template, Collections.unmodifiableSet(caps), kind, Collections.unmodifiableMap(metadata));
    }
}
