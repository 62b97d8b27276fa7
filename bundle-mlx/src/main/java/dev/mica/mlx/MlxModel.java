package dev.mica.mlx;

import dev.mica.api.arch.ArchitectureException;
import dev.mica.api.arch.ForwardPass;
import dev.mica.api.arch.ModelArchitecture;
import dev.mica.api.arch.StateLayout;
import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.ContextOptions;
import dev.mica.api.backend.InferenceContext;
import dev.mica.api.backend.LoadedModel;
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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;

/** A model (GGUF or MLX safetensors) in MLX arrays, with the architecture that computes it and its tokenizer. */
final class MlxModel implements LoadedModel {
    private final String name;
    private final MlxRuntime rt;
    private final MlxLoadedWeights weights;
    private final ModelArchitecture architecture;
    private final Tokenizer tokenizer;
    private final ModelInfo info;
    private final Set<MlxContext> contexts = ConcurrentHashMap.newKeySet();
    private final Consumer<MlxModel> onClose;
    private volatile boolean closed;

    /** {@code info} describes the model once its forward pass is built (GGUF: {@link #info(GgufFile, ForwardPass, Tokenizer)}). */
    MlxModel(String name, MlxRuntime rt, MlxLoadedWeights weights, ModelArchitecture architecture, Tokenizer tokenizer,
             Function<ForwardPass, ModelInfo> info, Consumer<MlxModel> onClose) throws BackendException {
        this.name = name;
        this.rt = rt;
        this.weights = weights;
        this.architecture = architecture;
        this.tokenizer = tokenizer;
        this.onClose = onClose;
        // Building once now checks keys and tensors, and tells the state layout and vocabulary.
        MlxOps probe = new MlxOps(rt, () -> false, () -> null);
        ForwardPass pass = build(probe);
        rt.run(probe::close);
        this.info = info.apply(pass);
    }

    ForwardPass build(MlxOps ops) throws BackendException {
        try {
            return rt.call(() -> {
                try {
                    return architecture.build(weights, weights, ops);
                } catch (ArchitectureException e) {
                    throw new IllegalArgumentException(e.getMessage(), e);
                }
            });
        } catch (IllegalArgumentException e) {
            throw new BackendException("cannot run " + name + " as " + weights.architecture() + ": " + e.getMessage(), e);
        }
    }

    MlxRuntime runtime() {
        return rt;
    }

    static ModelInfo info(GgufFile file, ForwardPass pass, Tokenizer tokenizer) {
        String arch = file.architecture();
        String general = file.string("general.name");
        return info(arch, general == null ? arch : general, (int) file.integer(arch + ".context_length", 0),
                (int) file.integer(arch + ".embedding_length", 0), file.parameterCount(), file.fileType() == null ? "unknown" : file.fileType(),
                file.string("tokenizer.chat_template"), file.metadata(), pass, tokenizer);
    }

    /** What every format tells alike: capabilities from the chat template, memory kind from the pass. */
    static ModelInfo info(String arch, String title, int context, int embedding, long parameters, String fileType, String template,
                          Map<String, Object> allMetadata, ForwardPass pass, Tokenizer tokenizer) {
        Map<String, Object> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : allMetadata.entrySet()) {
            if (!(e.getValue() instanceof List<?>)) metadata.put(e.getKey(), e.getValue());
        }
        EnumSet<Capability> caps = EnumSet.of(Capability.COMPLETION);
        if (template != null && template.contains("tools")) caps.add(Capability.TOOLS);
        if (template != null && template.contains("<think>")) caps.add(Capability.THINKING);
        StateLayout state = pass.state();
        MemoryKind kind = state.hasRecurrent() ? (state.hasAttention() ? MemoryKind.HYBRID : MemoryKind.RECURRENT) : MemoryKind.ATTENTION;
        return new ModelInfo(arch, title, context, tokenizer == null ? pass.vocabSize() : tokenizer.vocabSize(), embedding, parameters,
                fileType, template, Collections.unmodifiableSet(caps), kind, Collections.unmodifiableMap(metadata));
    }

    @Override
    public ModelInfo info() {
        return info;
    }

    @Override
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public InferenceContext newContext(ContextOptions options) throws BackendException {
        if (closed) throw new IllegalStateException("model " + name + " is closed");
        MlxContext c = new MlxContext(this, options);
        contexts.add(c);
        return c;
    }

    void forget(MlxContext context) {
        contexts.remove(context);
    }

    @Override
    public long sizeBytes() {
        return weights.bytes();
    }

    /** Closes contexts still open, then frees the weights. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) return;
            closed = true;
        }
        for (MlxContext c : List.copyOf(contexts)) c.close();
        rt.run(weights::close);
        onClose.accept(this);
    }

    @Override
    public String toString() {
        return "MlxModel[" + name + ", " + weights.architecture() + "]";
    }
}
