package dev.mica.ggml;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.ContextOptions;
import dev.mica.api.backend.InferenceContext;
import dev.mica.api.backend.LoadOptions;
import dev.mica.api.backend.LoadedModel;
import dev.mica.api.backend.ModelInfo;
import dev.mica.api.backend.ProgressListener;
import dev.mica.ggml.ffm.Layouts;
import dev.mica.ggml.ffm.Llama;
import dev.mica.ggml.ffm.Natives;
import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;

/**
 * A GGUF model loaded by libllama. Tokenizing may happen on any thread, under the read lock;
 * {@link #close()} takes the write lock, so it waits for those calls instead of freeing the
 * weights under them.
 */
final class GgmlModel implements LoadedModel {
    private static final System.Logger LOG = System.getLogger("dev.mica.ggml");

    private final Llama llama;
    private final String name;
    private final MemorySegment model;
    private final MemorySegment vocab;
    private final ModelInfo info;
    private final GgmlTokenizer tokenizer;
    private final int threads;
    private final long sizeBytes;
    private final Set<GgmlContext> contexts = ConcurrentHashMap.newKeySet();
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final Consumer<GgmlModel> onClose;
    /** See {@link #nonUtf8Tokens()}; computed on first use. */
    private volatile boolean[] nonUtf8Tokens;
    /** Set once, under the write lock; read under the read lock. */
    private boolean closing;

    private GgmlModel(Llama llama, String name, MemorySegment model, int threads, Consumer<GgmlModel> onClose) {
        this.llama = llama;
        this.name = name;
        this.model = model;
        this.vocab = llama.modelGetVocab(model);
        this.info = ModelInfos.read(llama, model, vocab);
        this.tokenizer = new GgmlTokenizer(this, llama, vocab);
        this.threads = threads > 0 ? threads : Threads.defaultCount();
        this.sizeBytes = llama.modelSize(model);
        this.onClose = onClose;
    }

    /** Loads a GGUF file; progress may cancel. {@code onClose} hears when the model is freed. */
    static GgmlModel load(Llama llama, Path file, String name, LoadOptions options, ProgressListener progress,
                          Consumer<GgmlModel> onClose) throws BackendException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = llama.modelDefaultParams(arena);
            // -1 keeps libllama's default, which offloads every layer a GPU backend can take.
            if (options.gpuLayers() >= 0) {
                Layouts.MODEL_N_GPU_LAYERS.set(params, 0L, options.gpuLayers());
            }
            Layouts.MODEL_LOAD_MODE.set(params, 0L, options.useMmap() ? Layouts.LOAD_MODE_AUTO : Layouts.LOAD_MODE_NONE);
            LoadProgress callback = new LoadProgress(progress);
            Layouts.MODEL_PROGRESS_CALLBACK.set(params, 0L, callback.stub(arena));

            Natives.clearNativeErrors();
            MemorySegment handle = llama.modelLoadFromFile(arena.allocateFrom(file.toString()), params);
            if (handle.address() == 0) {
                if (callback.failure != null) {
                    throw new BackendException("loading " + file + " failed in the progress listener", callback.failure);
                }
                if (callback.cancelled) {
                    throw new BackendException("loading " + file + " was cancelled");
                }
                throw new BackendException(Natives.withNativeErrors("llama.cpp cannot load " + file));
            }
            return new GgmlModel(llama, name, handle, options.threads(), onClose);
        }
    }

    /**
     * Bridges {@code llama_progress_callback} to the listener. It runs inside native code: it must
     * not throw, so a listener's exception cancels the load and is reported afterwards.
     */
    private static final class LoadProgress {
        private final ProgressListener listener;
        volatile boolean cancelled;
        volatile Throwable failure;

        LoadProgress(ProgressListener listener) {
            this.listener = listener;
        }

        MemorySegment stub(Arena arena) {
            try {
                var target = MethodHandles.lookup()
                        .findVirtual(LoadProgress.class, "report", MethodType.methodType(boolean.class, float.class, MemorySegment.class))
                        .bindTo(this);
                return Linker.nativeLinker().upcallStub(target, FunctionDescriptor.of(JAVA_BOOLEAN, JAVA_FLOAT, ADDRESS), arena);
            } catch (ReflectiveOperationException e) {
                throw new AssertionError(e);
            }
        }

        @SuppressWarnings("unused") // called from native code through the stub
        private boolean report(float fraction, MemorySegment userData) {
            try {
                boolean go = listener.progress(Math.clamp(fraction, 0f, 1f));
                cancelled |= !go;
                return go;
            } catch (Throwable t) {
                failure = t;
                cancelled = true;
                return false;
            }
        }
    }

    @Override
    public ModelInfo info() {
        return info;
    }

    /**
     * Tokens whose bytes include one that never occurs in UTF-8 (C0, C1, F5 to FF). libllama's
     * grammars decode UTF-8 leniently and would let a byte-fallback model write them inside a
     * JSON string, where no decoder accepts them; the grammar-constrained sampler refuses them.
     */
    boolean[] nonUtf8Tokens() {
        boolean[] mask = nonUtf8Tokens;
        if (mask == null) {
            mask = new boolean[tokenizer.vocabSize()];
            for (int t = 0; t < mask.length; t++) {
                for (byte b : tokenizer.piece(t)) {
                    int v = b & 0xff;
                    if (v == 0xC0 || v == 0xC1 || v >= 0xF5) {
                        mask[t] = true;
                        break;
                    }
                }
            }
            nonUtf8Tokens = mask;
        }
        return mask;
    }

    @Override
    public GgmlTokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public InferenceContext newContext(ContextOptions options) throws BackendException {
        try (var _ = reading()) {
            GgmlContext context = GgmlContext.create(this, llama, options);
            contexts.add(context);
            return context;
        }
    }

    @Override
    public long sizeBytes() {
        return sizeBytes;
    }

    String name() {
        return name;
    }

    int defaultThreads() {
        return threads;
    }

    /** The native model, for contexts and samplers; valid while the model is open. */
    MemorySegment handle() {
        return model;
    }

    MemorySegment vocab() {
        return vocab;
    }

    Llama llama() {
        return llama;
    }

    void forget(GgmlContext context) {
        contexts.remove(context);
    }

    /** A held lock, released by try-with-resources. */
    interface Hold extends AutoCloseable {
        @Override
        void close();
    }

    /** Holds the read lock until closed; fails once the model is closing. */
    Hold reading() {
        ReentrantReadWriteLock.ReadLock read = lock.readLock();
        read.lock();
        if (closing) {
            read.unlock();
            throw new IllegalStateException("model " + name + " is closed");
        }
        return read::unlock;
    }

    /**
     * Frees the weights, after closing the contexts still open (and logging them): freeing the model
     * under them would leave them pointing at freed memory.
     *
     * <p>In three steps, so that locks are always taken context first, model second (as
     * {@link GgmlContext#sampler} does): mark the model closing, which refuses new contexts and
     * tokenizer calls; close the contexts without holding the model's lock, each waiting for its
     * running call; then free the model under the write lock, once the last tokenizer call is out.
     */
    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (closing) {
                return;
            }
            closing = true;
        } finally {
            lock.writeLock().unlock();
        }
        if (!contexts.isEmpty()) {
            LOG.log(Level.WARNING, "model {0} closed with {1} open contexts; closing them", name, contexts.size());
            for (GgmlContext context : List.copyOf(contexts)) {
                context.close();
            }
        }
        lock.writeLock().lock();
        try {
            llama.modelFree(model);
        } finally {
            lock.writeLock().unlock();
        }
        onClose.accept(this);
    }

    @Override
    public String toString() {
        return "GgmlModel[" + name + ", " + info.architecture() + ", " + info.quantization() + "]";
    }
}
