package dev.mica.mlx;

import dev.mica.api.arch.ArchitectureException;
import dev.mica.api.arch.ForwardPass;
import dev.mica.api.arch.ModelArchitecture;
import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.ContextOptions;
import dev.mica.api.backend.InferenceContext;
import dev.mica.api.backend.LoadedModel;
import dev.mica.api.backend.ModelInfo;
import dev.mica.api.backend.Tokenizer;
import dev.mica.gguf.GgufFile;
import dev.mica.graph.grammar.Vocabulary;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

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
    /** Built on the first grammar-constrained sampler: most models never need it. */
    private final Supplier<Vocabulary> grammarVocabulary;

    /** {@code info} describes the model once its forward pass is built (GGUF: {@link #info(GgufFile, ForwardPass, Tokenizer)}). */
    MlxModel(String name, MlxRuntime rt, MlxLoadedWeights weights, ModelArchitecture architecture, Tokenizer tokenizer,
             Function<ForwardPass, ModelInfo> info, Consumer<MlxModel> onClose) throws BackendException {
        this.name = name;
        this.rt = rt;
        this.weights = weights;
        this.architecture = architecture;
        this.tokenizer = tokenizer;
        this.grammarVocabulary = Vocabulary.lazily(tokenizer);
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

    String name() {
        return name;
    }

    MlxRuntime runtime() {
        return rt;
    }

    @Override
    public ModelInfo info() {
        return info;
    }

    @Override
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** The tokens as grammars see them. */
    Supplier<Vocabulary> grammarVocabulary() {
        return grammarVocabulary;
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
