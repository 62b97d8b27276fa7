package dev.mica.backend.java;

import dev.mica.api.arch.ArchitectureException;
import dev.mica.api.arch.ForwardPass;
import dev.mica.api.arch.ModelArchitecture;
import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.ContextOptions;
import dev.mica.api.backend.InferenceContext;
import dev.mica.api.backend.LoadedModel;
import dev.mica.api.backend.ModelInfo;
import dev.mica.api.backend.Tokenizer;
import dev.mica.backend.java.tensor.Parallel;
import dev.mica.gguf.GgufFile;
import dev.mica.graph.grammar.Vocabulary;
import dev.mica.graph.GraphModelInfo;
import java.lang.foreign.Arena;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A GGUF model on the Java backend: its file mapped (weights are read in place, never copied), the
 * architecture that computes it, and its tokenizer. Each context builds its own forward pass over
 * its own thread pool; building is cheap, it only looks tensors up.
 */
final class JavaModel implements LoadedModel {
    private final String name;
    private final GgufFile file;
    private final Arena arena;
    private final GgufModelFile weights;
    private final ModelArchitecture architecture;
    private final Tokenizer tokenizer;
    private final ModelInfo info;
    private final int defaultThreads;
    private final Numerics numerics;
    private final Set<JavaContext> contexts = ConcurrentHashMap.newKeySet();
    private final Consumer<JavaModel> onClose;
    private volatile boolean closed;
    /** Built on the first grammar-constrained sampler: most models never need it. */
    private final Supplier<Vocabulary> grammarVocabulary;

    JavaModel(String name, GgufFile file, Arena arena, GgufModelFile weights, ModelArchitecture architecture, Tokenizer tokenizer,
              int defaultThreads, Numerics numerics, Consumer<JavaModel> onClose) throws BackendException {
        this.name = name;
        this.file = file;
        this.arena = arena;
        this.weights = weights;
        this.architecture = architecture;
        this.tokenizer = tokenizer;
        this.grammarVocabulary = Vocabulary.lazily(tokenizer);
        this.defaultThreads = defaultThreads;
        this.numerics = numerics;
        this.onClose = onClose;
        // Building once now checks keys and tensors, and tells the state layout and vocabulary.
        try (Parallel serial = Parallel.serial()) {
            ForwardPass probe = build(new JavaOps(serial, () -> false, numerics));
            this.info = GraphModelInfo.of(file, probe, tokenizer);
        }
    }

    ForwardPass build(JavaOps ops) throws BackendException {
        try {
            return architecture.build(weights, weights, ops);
        } catch (ArchitectureException e) {
            throw new BackendException("cannot run " + name + " as " + file.architecture() + ": " + e.getMessage(), e);
        }
    }

    String name() {
        return name;
    }

    int defaultThreads() {
        return defaultThreads;
    }

    Numerics numerics() {
        return numerics;
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
        JavaContext c = new JavaContext(this, options);
        contexts.add(c);
        return c;
    }

    void forget(JavaContext context) {
        contexts.remove(context);
    }

    @Override
    public long sizeBytes() {
        return weights.weightBytes();
    }

    /** Closes contexts still open, then unmaps the file. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) return;
            closed = true;
        }
        for (JavaContext c : List.copyOf(contexts)) c.close();
        arena.close();
        onClose.accept(this);
    }

    @Override
    public String toString() {
        return "JavaModel[" + name + ", " + file.architecture() + "]";
    }
}
