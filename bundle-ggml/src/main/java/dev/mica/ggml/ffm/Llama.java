package dev.mica.ggml.ffm;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Hand-written bindings to the C API of libllama (and the few ggml calls it needs), one method per C
 * function, grouped as llama.h groups them. Signatures follow {@code include/llama.h} of the snapshot
 * the natives are built from; pointers are {@link MemorySegment}s, {@code size_t} is {@code long},
 * {@code uint32_t} is {@code int}.
 *
 * <p>These methods check nothing: they are the raw C calls, and many of them abort the process on
 * bad input. The wrappers in {@code dev.mica.ggml} validate before calling in.
 *
 * <p>One instance exists per class loader, made by {@link Natives} once the libraries are loaded.
 */
public final class Llama {
    /** {@code LLAMA_DEFAULT_SEED}: the dist sampler picks a random seed. */
    public static final int DEFAULT_SEED = 0xFFFFFFFF;
    /** {@code LLAMA_TOKEN_NULL}. */
    public static final int TOKEN_NULL = -1;
    /** {@code LLAMA_STATE_SEQ_FLAGS_PARTIAL_ONLY}: only the recurrent (or SWA) part of a sequence's state. */
    public static final int STATE_SEQ_FLAGS_PARTIAL_ONLY = 1;

    private final Linker linker = Linker.nativeLinker();
    private final SymbolLookup symbols;
    private final List<String> missing = new ArrayList<>();

    // ggml: backends and devices
    private final MethodHandle backendLoadAllFromPath, backendDevCount, backendDevGet, backendDevName,
            backendDevDescription, backendDevMemory, backendDevType;
    // process-wide
    private final MethodHandle backendInit, logSet, printSystemInfo, maxParallelSequences, maxDevices;
    // model
    private final MethodHandle modelDefaultParams, modelLoadFromFile, modelFree, modelGetVocab, modelNCtxTrain,
            modelNEmbd, modelNLayer, modelNSwa, modelNParams, modelSize, modelDesc, modelChatTemplate,
            modelMetaCount, modelMetaKeyByIndex, modelMetaValStrByIndex, modelMetaValStr, modelHasEncoder,
            modelHasDecoder, modelNClsOut;
    private final Optional<MethodHandle> modelNEmbdOut, modelIsRecurrent, modelIsHybrid, modelFtype, ftypeName;
    // vocab
    private final MethodHandle vocabNTokens, vocabType, vocabBos, vocabEos, vocabEot, vocabSep, vocabFimPre, vocabFimSuf,
            vocabFimMid, vocabGetAddBos, vocabGetAddEos, vocabIsEog, vocabIsControl, tokenize, tokenToPiece, detokenize;
    // context
    private final MethodHandle contextDefaultParams, initFromModel, free, nCtx, nCtxSeq, nBatch, nUbatch, nSeqMax,
            poolingType, setAbortCallback, setNThreads, synchronize, perfContext, perfContextReset;
    // batch and decode
    private final MethodHandle batchInit, batchFree, decode, getLogitsIth, getEmbeddingsSeq;
    // memory
    private final MethodHandle getMemory, memoryClear, memorySeqRm, memorySeqCp, memorySeqKeep, memorySeqPosMin,
            memorySeqPosMax, memoryCanShift;
    // state
    private final MethodHandle stateSeqGetSizeExt, stateSeqGetDataExt, stateSeqSetDataExt;
    // sampling
    private final MethodHandle samplerChainDefaultParams, samplerChainInit, samplerChainAdd, samplerInitGreedy,
            samplerInitDist, samplerInitTopK, samplerInitTopP, samplerInitMinP, samplerInitTypical, samplerInitTemp,
            samplerInitPenalties, samplerInitGrammar, samplerSample, samplerApply, samplerAccept, samplerReset,
            samplerFree;
    // chat templates
    private final MethodHandle chatApplyTemplate, chatBuiltinTemplates;
    // quantization
    private final MethodHandle modelQuantizeDefaultParams, modelQuantize;

    /**
     * Binds every function. Fails with the complete list of missing symbols, which is what a user
     * pointing mica at a too old (or too new) llama.cpp build needs to see.
     */
    Llama(SymbolLookup symbols) {
        this.symbols = symbols;

        backendLoadAllFromPath = bind("ggml_backend_load_all_from_path", FunctionDescriptor.ofVoid(ADDRESS));
        backendDevCount = bind("ggml_backend_dev_count", FunctionDescriptor.of(JAVA_LONG));
        backendDevGet = bind("ggml_backend_dev_get", FunctionDescriptor.of(ADDRESS, JAVA_LONG));
        backendDevName = bind("ggml_backend_dev_name", FunctionDescriptor.of(ADDRESS, ADDRESS));
        backendDevDescription = bind("ggml_backend_dev_description", FunctionDescriptor.of(ADDRESS, ADDRESS));
        backendDevMemory = bind("ggml_backend_dev_memory", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, ADDRESS));
        backendDevType = bind("ggml_backend_dev_type", FunctionDescriptor.of(JAVA_INT, ADDRESS));

        backendInit = bind("llama_backend_init", FunctionDescriptor.ofVoid());
        logSet = bind("llama_log_set", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS));
        printSystemInfo = bind("llama_print_system_info", FunctionDescriptor.of(ADDRESS));
        maxParallelSequences = bind("llama_max_parallel_sequences", FunctionDescriptor.of(JAVA_LONG));
        maxDevices = bind("llama_max_devices", FunctionDescriptor.of(JAVA_LONG));

        modelDefaultParams = bind("llama_model_default_params", FunctionDescriptor.of(Layouts.MODEL_PARAMS));
        modelLoadFromFile = bind("llama_model_load_from_file", FunctionDescriptor.of(ADDRESS, ADDRESS, Layouts.MODEL_PARAMS));
        modelFree = bind("llama_model_free", FunctionDescriptor.ofVoid(ADDRESS));
        modelGetVocab = bind("llama_model_get_vocab", FunctionDescriptor.of(ADDRESS, ADDRESS));
        modelNCtxTrain = bind("llama_model_n_ctx_train", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        modelNEmbd = bind("llama_model_n_embd", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        modelNLayer = bind("llama_model_n_layer", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        modelNSwa = bind("llama_model_n_swa", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        modelNParams = bind("llama_model_n_params", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
        modelSize = bind("llama_model_size", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
        modelDesc = bind("llama_model_desc", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));
        modelChatTemplate = bind("llama_model_chat_template", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));
        modelMetaCount = bind("llama_model_meta_count", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        modelMetaKeyByIndex = bind("llama_model_meta_key_by_index", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG));
        modelMetaValStrByIndex = bind("llama_model_meta_val_str_by_index", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG));
        modelMetaValStr = bind("llama_model_meta_val_str", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));
        modelHasEncoder = bind("llama_model_has_encoder", FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS));
        modelHasDecoder = bind("llama_model_has_decoder", FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS));
        modelNClsOut = bind("llama_model_n_cls_out", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        // Younger additions to the API: a user's own build of an older llama.cpp may lack them.
        modelNEmbdOut = optional("llama_model_n_embd_out", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        modelIsRecurrent = optional("llama_model_is_recurrent", FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS));
        modelIsHybrid = optional("llama_model_is_hybrid", FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS));
        modelFtype = optional("llama_model_ftype", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        ftypeName = optional("llama_ftype_name", FunctionDescriptor.of(ADDRESS, JAVA_INT));

        vocabNTokens = bind("llama_vocab_n_tokens", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        vocabType = bind("llama_vocab_type", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        vocabBos = bind("llama_vocab_bos", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        vocabEos = bind("llama_vocab_eos", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        vocabEot = bind("llama_vocab_eot", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        vocabSep = bind("llama_vocab_sep", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        vocabFimPre = bind("llama_vocab_fim_pre", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        vocabFimSuf = bind("llama_vocab_fim_suf", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        vocabFimMid = bind("llama_vocab_fim_mid", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        vocabGetAddBos = bind("llama_vocab_get_add_bos", FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS));
        vocabGetAddEos = bind("llama_vocab_get_add_eos", FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS));
        vocabIsEog = bind("llama_vocab_is_eog", FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS, JAVA_INT));
        vocabIsControl = bind("llama_vocab_is_control", FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS, JAVA_INT));
        tokenize = bind("llama_tokenize", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_BOOLEAN, JAVA_BOOLEAN));
        tokenToPiece = bind("llama_token_to_piece", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_BOOLEAN));
        detokenize = bind("llama_detokenize", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_BOOLEAN, JAVA_BOOLEAN));

        contextDefaultParams = bind("llama_context_default_params", FunctionDescriptor.of(Layouts.CONTEXT_PARAMS));
        initFromModel = bind("llama_init_from_model", FunctionDescriptor.of(ADDRESS, ADDRESS, Layouts.CONTEXT_PARAMS));
        free = bind("llama_free", FunctionDescriptor.ofVoid(ADDRESS));
        nCtx = bind("llama_n_ctx", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        nCtxSeq = bind("llama_n_ctx_seq", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        nBatch = bind("llama_n_batch", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        nUbatch = bind("llama_n_ubatch", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        nSeqMax = bind("llama_n_seq_max", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        poolingType = bind("llama_pooling_type", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        setAbortCallback = bind("llama_set_abort_callback", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, ADDRESS));
        setNThreads = bind("llama_set_n_threads", FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, JAVA_INT));
        synchronize = bind("llama_synchronize", FunctionDescriptor.ofVoid(ADDRESS));
        perfContext = bind("llama_perf_context", FunctionDescriptor.of(Layouts.PERF_CONTEXT_DATA, ADDRESS));
        perfContextReset = bind("llama_perf_context_reset", FunctionDescriptor.ofVoid(ADDRESS));

        batchInit = bind("llama_batch_init", FunctionDescriptor.of(Layouts.BATCH, JAVA_INT, JAVA_INT, JAVA_INT));
        batchFree = bind("llama_batch_free", FunctionDescriptor.ofVoid(Layouts.BATCH));
        decode = bind("llama_decode", FunctionDescriptor.of(JAVA_INT, ADDRESS, Layouts.BATCH));
        getLogitsIth = bind("llama_get_logits_ith", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
        getEmbeddingsSeq = bind("llama_get_embeddings_seq", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));

        getMemory = bind("llama_get_memory", FunctionDescriptor.of(ADDRESS, ADDRESS));
        memoryClear = bind("llama_memory_clear", FunctionDescriptor.ofVoid(ADDRESS, JAVA_BOOLEAN));
        memorySeqRm = bind("llama_memory_seq_rm", FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT));
        memorySeqCp = bind("llama_memory_seq_cp", FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
        memorySeqKeep = bind("llama_memory_seq_keep", FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT));
        memorySeqPosMin = bind("llama_memory_seq_pos_min", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        memorySeqPosMax = bind("llama_memory_seq_pos_max", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        memoryCanShift = bind("llama_memory_can_shift", FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS));

        stateSeqGetSizeExt = bind("llama_state_seq_get_size_ext", FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_INT, JAVA_INT));
        stateSeqGetDataExt = bind("llama_state_seq_get_data_ext", FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT));
        stateSeqSetDataExt = bind("llama_state_seq_set_data_ext", FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT));

        samplerChainDefaultParams = bind("llama_sampler_chain_default_params", FunctionDescriptor.of(Layouts.SAMPLER_CHAIN_PARAMS));
        samplerChainInit = bind("llama_sampler_chain_init", FunctionDescriptor.of(ADDRESS, Layouts.SAMPLER_CHAIN_PARAMS));
        samplerChainAdd = bind("llama_sampler_chain_add", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS));
        samplerInitGreedy = bind("llama_sampler_init_greedy", FunctionDescriptor.of(ADDRESS));
        samplerInitDist = bind("llama_sampler_init_dist", FunctionDescriptor.of(ADDRESS, JAVA_INT));
        samplerInitTopK = bind("llama_sampler_init_top_k", FunctionDescriptor.of(ADDRESS, JAVA_INT));
        samplerInitTopP = bind("llama_sampler_init_top_p", FunctionDescriptor.of(ADDRESS, JAVA_FLOAT, JAVA_LONG));
        samplerInitMinP = bind("llama_sampler_init_min_p", FunctionDescriptor.of(ADDRESS, JAVA_FLOAT, JAVA_LONG));
        samplerInitTypical = bind("llama_sampler_init_typical", FunctionDescriptor.of(ADDRESS, JAVA_FLOAT, JAVA_LONG));
        samplerInitTemp = bind("llama_sampler_init_temp", FunctionDescriptor.of(ADDRESS, JAVA_FLOAT));
        // n_vocab comes first in this version of the API (NATIVES.md).
        samplerInitPenalties = bind("llama_sampler_init_penalties", FunctionDescriptor.of(ADDRESS, JAVA_INT, JAVA_INT, JAVA_FLOAT, JAVA_FLOAT, JAVA_FLOAT));
        samplerInitGrammar = bind("llama_sampler_init_grammar", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        samplerSample = bind("llama_sampler_sample", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
        samplerApply = bind("llama_sampler_apply", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS));
        samplerAccept = bind("llama_sampler_accept", FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT));
        samplerReset = bind("llama_sampler_reset", FunctionDescriptor.ofVoid(ADDRESS));
        samplerFree = bind("llama_sampler_free", FunctionDescriptor.ofVoid(ADDRESS));

        chatApplyTemplate = bind("llama_chat_apply_template", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_BOOLEAN, ADDRESS, JAVA_INT));
        chatBuiltinTemplates = bind("llama_chat_builtin_templates", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));

        modelQuantizeDefaultParams = bind("llama_model_quantize_default_params", FunctionDescriptor.of(Layouts.QUANTIZE_PARAMS));
        modelQuantize = bind("llama_model_quantize", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));

        if (!missing.isEmpty()) {
            throw new LinkageError("the llama.cpp libraries lack " + missing.size() + " functions mica needs: "
                    + String.join(", ", missing) + " (mica is built against llama.cpp de3ff81)");
        }
    }

    private MethodHandle bind(String name, FunctionDescriptor descriptor) {
        Optional<MemorySegment> address = symbols.find(name);
        if (address.isEmpty()) {
            missing.add(name);
            return null;
        }
        return linker.downcallHandle(address.get(), descriptor);
    }

    private Optional<MethodHandle> optional(String name, FunctionDescriptor descriptor) {
        return symbols.find(name).map(a -> linker.downcallHandle(a, descriptor));
    }

    /** Downcalls only throw for programming errors (a closed arena, a wrong segment): pass them on. */
    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException(t);
    }

    /** Reads a C string the library owns; null for a NULL pointer. */
    public static String string(MemorySegment cString) {
        return cString.address() == 0 ? null : cString.reinterpret(Long.MAX_VALUE).getString(0);
    }

    // ---- ggml: backends and devices ---------------------------------------------------------------

    public void backendLoadAllFromPath(MemorySegment dir) {
        try { backendLoadAllFromPath.invokeExact(dir); } catch (Throwable t) { throw rethrow(t); }
    }

    public long backendDevCount() {
        try { return (long) backendDevCount.invokeExact(); } catch (Throwable t) { throw rethrow(t); }
    }

    public MemorySegment backendDevGet(long index) {
        try { return (MemorySegment) backendDevGet.invokeExact(index); } catch (Throwable t) { throw rethrow(t); }
    }

    public MemorySegment backendDevName(MemorySegment dev) {
        try { return (MemorySegment) backendDevName.invokeExact(dev); } catch (Throwable t) { throw rethrow(t); }
    }

    public MemorySegment backendDevDescription(MemorySegment dev) {
        try { return (MemorySegment) backendDevDescription.invokeExact(dev); } catch (Throwable t) { throw rethrow(t); }
    }

    public void backendDevMemory(MemorySegment dev, MemorySegment free, MemorySegment total) {
        try { backendDevMemory.invokeExact(dev, free, total); } catch (Throwable t) { throw rethrow(t); }
    }

    /** {@code enum ggml_backend_dev_type}: 0 CPU, 1 GPU, 2 integrated GPU, 3 accelerator, 4 meta. */
    public int backendDevType(MemorySegment dev) {
        try { return (int) backendDevType.invokeExact(dev); } catch (Throwable t) { throw rethrow(t); }
    }

    // ---- process-wide --------------------------------------------------------------------------

    public void backendInit() {
        try { backendInit.invokeExact(); } catch (Throwable t) { throw rethrow(t); }
    }

    public void logSet(MemorySegment callback, MemorySegment userData) {
        try { logSet.invokeExact(callback, userData); } catch (Throwable t) { throw rethrow(t); }
    }

    public String printSystemInfo() {
        try { return string((MemorySegment) printSystemInfo.invokeExact()); } catch (Throwable t) { throw rethrow(t); }
    }

    public long maxParallelSequences() {
        try { return (long) maxParallelSequences.invokeExact(); } catch (Throwable t) { throw rethrow(t); }
    }

    public long maxDevices() {
        try { return (long) maxDevices.invokeExact(); } catch (Throwable t) { throw rethrow(t); }
    }

    // ---- model ---------------------------------------------------------------------------------

    public MemorySegment modelDefaultParams(SegmentAllocator allocator) {
        try { return (MemorySegment) modelDefaultParams.invokeExact(allocator); } catch (Throwable t) { throw rethrow(t); }
    }

    /** NULL when the file cannot be loaded or the progress callback cancelled; the log says why. */
    public MemorySegment modelLoadFromFile(MemorySegment path, MemorySegment params) {
        try { return (MemorySegment) modelLoadFromFile.invokeExact(path, params); } catch (Throwable t) { throw rethrow(t); }
    }

    public void modelFree(MemorySegment model) {
        try { modelFree.invokeExact(model); } catch (Throwable t) { throw rethrow(t); }
    }

    public MemorySegment modelGetVocab(MemorySegment model) {
        try { return (MemorySegment) modelGetVocab.invokeExact(model); } catch (Throwable t) { throw rethrow(t); }
    }

    public int modelNCtxTrain(MemorySegment model) {
        try { return (int) modelNCtxTrain.invokeExact(model); } catch (Throwable t) { throw rethrow(t); }
    }

    public int modelNEmbd(MemorySegment model) {
        try { return (int) modelNEmbd.invokeExact(model); } catch (Throwable t) { throw rethrow(t); }
    }

    /** Width of the embeddings a context outputs; older builds only know {@link #modelNEmbd}. */
    public int modelNEmbdOut(MemorySegment model) {
        if (modelNEmbdOut.isEmpty()) {
            return modelNEmbd(model);
        }
        try { return (int) modelNEmbdOut.get().invokeExact(model); } catch (Throwable t) { throw rethrow(t); }
    }

    public int modelNLayer(MemorySegment model) {
        try { return (int) modelNLayer.invokeExact(model); } catch (Throwable t) { throw rethrow(t); }
    }

    public int modelNSwa(MemorySegment model) {
        try { return (int) modelNSwa.invokeExact(model); } catch (Throwable t) { throw rethrow(t); }
    }

    public long modelNParams(MemorySegment model) {
        try { return (long) modelNParams.invokeExact(model); } catch (Throwable t) { throw rethrow(t); }
    }

    public long modelSize(MemorySegment model) {
        try { return (long) modelSize.invokeExact(model); } catch (Throwable t) { throw rethrow(t); }
    }

    /** snprintf-style: returns the full length, writes at most size-1 bytes and a NUL. */
    public int modelDesc(MemorySegment model, MemorySegment buf, long size) {
        try { return (int) modelDesc.invokeExact(model, buf, size); } catch (Throwable t) { throw rethrow(t); }
    }

    /** The model's own (Jinja) chat template named {@code name}, or the default for NULL; NULL if none. */
    public MemorySegment modelChatTemplate(MemorySegment model, MemorySegment name) {
        try { return (MemorySegment) modelChatTemplate.invokeExact(model, name); } catch (Throwable t) { throw rethrow(t); }
    }

    public int modelMetaCount(MemorySegment model) {
        try { return (int) modelMetaCount.invokeExact(model); } catch (Throwable t) { throw rethrow(t); }
    }

    public int modelMetaKeyByIndex(MemorySegment model, int i, MemorySegment buf, long size) {
        try { return (int) modelMetaKeyByIndex.invokeExact(model, i, buf, size); } catch (Throwable t) { throw rethrow(t); }
    }

    public int modelMetaValStrByIndex(MemorySegment model, int i, MemorySegment buf, long size) {
        try { return (int) modelMetaValStrByIndex.invokeExact(model, i, buf, size); } catch (Throwable t) { throw rethrow(t); }
    }

    public int modelMetaValStr(MemorySegment model, MemorySegment key, MemorySegment buf, long size) {
        try { return (int) modelMetaValStr.invokeExact(model, key, buf, size); } catch (Throwable t) { throw rethrow(t); }
    }

    public boolean modelHasEncoder(MemorySegment model) {
        try { return (boolean) modelHasEncoder.invokeExact(model); } catch (Throwable t) { throw rethrow(t); }
    }

    public boolean modelHasDecoder(MemorySegment model) {
        try { return (boolean) modelHasDecoder.invokeExact(model); } catch (Throwable t) { throw rethrow(t); }
    }

    public int modelNClsOut(MemorySegment model) {
        try { return (int) modelNClsOut.invokeExact(model); } catch (Throwable t) { throw rethrow(t); }
    }

    /** Recurrent models (Mamba, RWKV) keep a state per sequence instead of a KV cache; false if unknown. */
    public boolean modelIsRecurrent(MemorySegment model) {
        if (modelIsRecurrent.isEmpty()) {
            return false;
        }
        try { return (boolean) modelIsRecurrent.get().invokeExact(model); } catch (Throwable t) { throw rethrow(t); }
    }

    /** Hybrid models (Jamba, Qwen3.5) keep both; false if this build cannot tell. */
    public boolean modelIsHybrid(MemorySegment model) {
        if (modelIsHybrid.isEmpty()) {
            return false;
        }
        try { return (boolean) modelIsHybrid.get().invokeExact(model); } catch (Throwable t) { throw rethrow(t); }
    }

    /** {@code enum llama_ftype} of the file, or -1 when this build cannot tell. */
    public int modelFtype(MemorySegment model) {
        if (modelFtype.isEmpty()) {
            return -1;
        }
        try { return (int) modelFtype.get().invokeExact(model); } catch (Throwable t) { throw rethrow(t); }
    }

    /** llama.cpp's own name of a file type, e.g. "Q4_K - Medium"; null when this build cannot tell. */
    public String ftypeName(int ftype) {
        if (ftypeName.isEmpty()) {
            return null;
        }
        try { return string((MemorySegment) ftypeName.get().invokeExact(ftype)); } catch (Throwable t) { throw rethrow(t); }
    }

    // ---- vocab ---------------------------------------------------------------------------------

    public int vocabNTokens(MemorySegment vocab) {
        try { return (int) vocabNTokens.invokeExact(vocab); } catch (Throwable t) { throw rethrow(t); }
    }

    /** {@code enum llama_vocab_type}: 0 none, 1 SentencePiece, 2 BPE, 3 WordPiece, 4 Unigram, ... */
    public int vocabType(MemorySegment vocab) {
        try { return (int) vocabType.invokeExact(vocab); } catch (Throwable t) { throw rethrow(t); }
    }

    public int vocabBos(MemorySegment vocab) {
        try { return (int) vocabBos.invokeExact(vocab); } catch (Throwable t) { throw rethrow(t); }
    }

    public int vocabEos(MemorySegment vocab) {
        try { return (int) vocabEos.invokeExact(vocab); } catch (Throwable t) { throw rethrow(t); }
    }

    public int vocabEot(MemorySegment vocab) {
        try { return (int) vocabEot.invokeExact(vocab); } catch (Throwable t) { throw rethrow(t); }
    }

    public int vocabSep(MemorySegment vocab) {
        try { return (int) vocabSep.invokeExact(vocab); } catch (Throwable t) { throw rethrow(t); }
    }

    public int vocabFimPre(MemorySegment vocab) {
        try { return (int) vocabFimPre.invokeExact(vocab); } catch (Throwable t) { throw rethrow(t); }
    }

    public int vocabFimSuf(MemorySegment vocab) {
        try { return (int) vocabFimSuf.invokeExact(vocab); } catch (Throwable t) { throw rethrow(t); }
    }

    public int vocabFimMid(MemorySegment vocab) {
        try { return (int) vocabFimMid.invokeExact(vocab); } catch (Throwable t) { throw rethrow(t); }
    }

    public boolean vocabGetAddBos(MemorySegment vocab) {
        try { return (boolean) vocabGetAddBos.invokeExact(vocab); } catch (Throwable t) { throw rethrow(t); }
    }

    public boolean vocabGetAddEos(MemorySegment vocab) {
        try { return (boolean) vocabGetAddEos.invokeExact(vocab); } catch (Throwable t) { throw rethrow(t); }
    }

    public boolean vocabIsEog(MemorySegment vocab, int token) {
        try { return (boolean) vocabIsEog.invokeExact(vocab, token); } catch (Throwable t) { throw rethrow(t); }
    }

    public boolean vocabIsControl(MemorySegment vocab, int token) {
        try { return (boolean) vocabIsControl.invokeExact(vocab, token); } catch (Throwable t) { throw rethrow(t); }
    }

    /** Token count, or minus the count needed when {@code max} is too small (INT_MIN on overflow). */
    public int tokenize(MemorySegment vocab, MemorySegment text, int textLength, MemorySegment tokens, int max,
                        boolean addSpecial, boolean parseSpecial) {
        try {
            return (int) tokenize.invokeExact(vocab, text, textLength, tokens, max, addSpecial, parseSpecial);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Bytes written (no NUL), or minus the bytes needed. Aborts on a token outside the vocabulary. */
    public int tokenToPiece(MemorySegment vocab, int token, MemorySegment buf, int length, int lstrip, boolean special) {
        try {
            return (int) tokenToPiece.invokeExact(vocab, token, buf, length, lstrip, special);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Bytes written, or minus the bytes needed. */
    public int detokenize(MemorySegment vocab, MemorySegment tokens, int count, MemorySegment text, int max,
                          boolean removeSpecial, boolean unparseSpecial) {
        try {
            return (int) detokenize.invokeExact(vocab, tokens, count, text, max, removeSpecial, unparseSpecial);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---- context -------------------------------------------------------------------------------

    public MemorySegment contextDefaultParams(SegmentAllocator allocator) {
        try { return (MemorySegment) contextDefaultParams.invokeExact(allocator); } catch (Throwable t) { throw rethrow(t); }
    }

    /** NULL on failure (e.g. not enough memory for the KV cache); the log says why. */
    public MemorySegment initFromModel(MemorySegment model, MemorySegment params) {
        try { return (MemorySegment) initFromModel.invokeExact(model, params); } catch (Throwable t) { throw rethrow(t); }
    }

    public void free(MemorySegment ctx) {
        try { free.invokeExact(ctx); } catch (Throwable t) { throw rethrow(t); }
    }

    public int nCtx(MemorySegment ctx) {
        try { return (int) nCtx.invokeExact(ctx); } catch (Throwable t) { throw rethrow(t); }
    }

    public int nCtxSeq(MemorySegment ctx) {
        try { return (int) nCtxSeq.invokeExact(ctx); } catch (Throwable t) { throw rethrow(t); }
    }

    public int nBatch(MemorySegment ctx) {
        try { return (int) nBatch.invokeExact(ctx); } catch (Throwable t) { throw rethrow(t); }
    }

    public int nUbatch(MemorySegment ctx) {
        try { return (int) nUbatch.invokeExact(ctx); } catch (Throwable t) { throw rethrow(t); }
    }

    public int nSeqMax(MemorySegment ctx) {
        try { return (int) nSeqMax.invokeExact(ctx); } catch (Throwable t) { throw rethrow(t); }
    }

    public int poolingType(MemorySegment ctx) {
        try { return (int) poolingType.invokeExact(ctx); } catch (Throwable t) { throw rethrow(t); }
    }

    /** The callback, {@code bool (*)(void * data)}, is polled by the CPU backend after every graph node. */
    public void setAbortCallback(MemorySegment ctx, MemorySegment callback, MemorySegment data) {
        try { setAbortCallback.invokeExact(ctx, callback, data); } catch (Throwable t) { throw rethrow(t); }
    }

    public void setNThreads(MemorySegment ctx, int threads, int threadsBatch) {
        try { setNThreads.invokeExact(ctx, threads, threadsBatch); } catch (Throwable t) { throw rethrow(t); }
    }

    public void synchronize(MemorySegment ctx) {
        try { synchronize.invokeExact(ctx); } catch (Throwable t) { throw rethrow(t); }
    }

    public MemorySegment perfContext(SegmentAllocator allocator, MemorySegment ctx) {
        try { return (MemorySegment) perfContext.invokeExact(allocator, ctx); } catch (Throwable t) { throw rethrow(t); }
    }

    public void perfContextReset(MemorySegment ctx) {
        try { perfContextReset.invokeExact(ctx); } catch (Throwable t) { throw rethrow(t); }
    }

    // ---- batch and decode ----------------------------------------------------------------------

    /** A batch on the C heap for {@code tokens} tokens of up to {@code seqMax} sequence ids each. */
    public MemorySegment batchInit(SegmentAllocator allocator, int tokens, int embd, int seqMax) {
        try { return (MemorySegment) batchInit.invokeExact(allocator, tokens, embd, seqMax); } catch (Throwable t) { throw rethrow(t); }
    }

    public void batchFree(MemorySegment batch) {
        try { batchFree.invokeExact(batch); } catch (Throwable t) { throw rethrow(t); }
    }

    /** 0 ok, 1 no KV slot, 2 aborted, -1 invalid batch, below -1 fatal. Aborts on an oversize batch. */
    public int decode(MemorySegment ctx, MemorySegment batch) {
        try { return (int) decode.invokeExact(ctx, batch); } catch (Throwable t) { throw rethrow(t); }
    }

    public MemorySegment getLogitsIth(MemorySegment ctx, int i) {
        try { return (MemorySegment) getLogitsIth.invokeExact(ctx, i); } catch (Throwable t) { throw rethrow(t); }
    }

    public MemorySegment getEmbeddingsSeq(MemorySegment ctx, int seq) {
        try { return (MemorySegment) getEmbeddingsSeq.invokeExact(ctx, seq); } catch (Throwable t) { throw rethrow(t); }
    }

    // ---- memory --------------------------------------------------------------------------------

    public MemorySegment getMemory(MemorySegment ctx) {
        try { return (MemorySegment) getMemory.invokeExact(ctx); } catch (Throwable t) { throw rethrow(t); }
    }

    public void memoryClear(MemorySegment mem, boolean data) {
        try { memoryClear.invokeExact(mem, data); } catch (Throwable t) { throw rethrow(t); }
    }

    /** False where a partial range cannot go (recurrent state); asserts on a sequence id out of range. */
    public boolean memorySeqRm(MemorySegment mem, int seq, int p0, int p1) {
        try { return (boolean) memorySeqRm.invokeExact(mem, seq, p0, p1); } catch (Throwable t) { throw rethrow(t); }
    }

    /** Aborts on a partial range across KV streams (kv_unified false). */
    public void memorySeqCp(MemorySegment mem, int src, int dst, int p0, int p1) {
        try { memorySeqCp.invokeExact(mem, src, dst, p0, p1); } catch (Throwable t) { throw rethrow(t); }
    }

    public void memorySeqKeep(MemorySegment mem, int seq) {
        try { memorySeqKeep.invokeExact(mem, seq); } catch (Throwable t) { throw rethrow(t); }
    }

    public int memorySeqPosMin(MemorySegment mem, int seq) {
        try { return (int) memorySeqPosMin.invokeExact(mem, seq); } catch (Throwable t) { throw rethrow(t); }
    }

    public int memorySeqPosMax(MemorySegment mem, int seq) {
        try { return (int) memorySeqPosMax.invokeExact(mem, seq); } catch (Throwable t) { throw rethrow(t); }
    }

    public boolean memoryCanShift(MemorySegment mem) {
        try { return (boolean) memoryCanShift.invokeExact(mem); } catch (Throwable t) { throw rethrow(t); }
    }

    // ---- state ---------------------------------------------------------------------------------

    public long stateSeqGetSizeExt(MemorySegment ctx, int seq, int flags) {
        try { return (long) stateSeqGetSizeExt.invokeExact(ctx, seq, flags); } catch (Throwable t) { throw rethrow(t); }
    }

    /** Bytes written, 0 on failure. */
    public long stateSeqGetDataExt(MemorySegment ctx, MemorySegment dst, long size, int seq, int flags) {
        try { return (long) stateSeqGetDataExt.invokeExact(ctx, dst, size, seq, flags); } catch (Throwable t) { throw rethrow(t); }
    }

    /** Bytes read, 0 on failure (the destination sequence is then left empty). */
    public long stateSeqSetDataExt(MemorySegment ctx, MemorySegment src, long size, int seq, int flags) {
        try { return (long) stateSeqSetDataExt.invokeExact(ctx, src, size, seq, flags); } catch (Throwable t) { throw rethrow(t); }
    }

    // ---- sampling ------------------------------------------------------------------------------

    public MemorySegment samplerChainDefaultParams(SegmentAllocator allocator) {
        try { return (MemorySegment) samplerChainDefaultParams.invokeExact(allocator); } catch (Throwable t) { throw rethrow(t); }
    }

    public MemorySegment samplerChainInit(MemorySegment params) {
        try { return (MemorySegment) samplerChainInit.invokeExact(params); } catch (Throwable t) { throw rethrow(t); }
    }

    /** The chain takes ownership: freeing the chain frees the sampler. */
    public void samplerChainAdd(MemorySegment chain, MemorySegment sampler) {
        try { samplerChainAdd.invokeExact(chain, sampler); } catch (Throwable t) { throw rethrow(t); }
    }

    public MemorySegment samplerInitGreedy() {
        try { return (MemorySegment) samplerInitGreedy.invokeExact(); } catch (Throwable t) { throw rethrow(t); }
    }

    public MemorySegment samplerInitDist(int seed) {
        try { return (MemorySegment) samplerInitDist.invokeExact(seed); } catch (Throwable t) { throw rethrow(t); }
    }

    public MemorySegment samplerInitTopK(int k) {
        try { return (MemorySegment) samplerInitTopK.invokeExact(k); } catch (Throwable t) { throw rethrow(t); }
    }

    public MemorySegment samplerInitTopP(float p, long minKeep) {
        try { return (MemorySegment) samplerInitTopP.invokeExact(p, minKeep); } catch (Throwable t) { throw rethrow(t); }
    }

    public MemorySegment samplerInitMinP(float p, long minKeep) {
        try { return (MemorySegment) samplerInitMinP.invokeExact(p, minKeep); } catch (Throwable t) { throw rethrow(t); }
    }

    public MemorySegment samplerInitTypical(float p, long minKeep) {
        try { return (MemorySegment) samplerInitTypical.invokeExact(p, minKeep); } catch (Throwable t) { throw rethrow(t); }
    }

    public MemorySegment samplerInitTemp(float t) {
        try { return (MemorySegment) samplerInitTemp.invokeExact(t); } catch (Throwable e) { throw rethrow(e); }
    }

    public MemorySegment samplerInitPenalties(int nVocab, int lastN, float repeat, float frequency, float presence) {
        try {
            return (MemorySegment) samplerInitPenalties.invokeExact(nVocab, lastN, repeat, frequency, presence);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** NULL when the grammar does not parse (the log says where). */
    public MemorySegment samplerInitGrammar(MemorySegment vocab, MemorySegment grammar, MemorySegment root) {
        try { return (MemorySegment) samplerInitGrammar.invokeExact(vocab, grammar, root); } catch (Throwable t) { throw rethrow(t); }
    }

    /** Samples from the logits of batch index {@code i} and accepts the token. Asserts on a row without logits. */
    public int samplerSample(MemorySegment sampler, MemorySegment ctx, int i) {
        try { return (int) samplerSample.invokeExact(sampler, ctx, i); } catch (Throwable t) { throw rethrow(t); }
    }

    public void samplerApply(MemorySegment sampler, MemorySegment tokenDataArray) {
        try { samplerApply.invokeExact(sampler, tokenDataArray); } catch (Throwable t) { throw rethrow(t); }
    }

    /** For a grammar sampler, a token the grammar rejects throws a C++ exception: the process ends. */
    public void samplerAccept(MemorySegment sampler, int token) {
        try { samplerAccept.invokeExact(sampler, token); } catch (Throwable t) { throw rethrow(t); }
    }

    public void samplerReset(MemorySegment sampler) {
        try { samplerReset.invokeExact(sampler); } catch (Throwable t) { throw rethrow(t); }
    }

    public void samplerFree(MemorySegment sampler) {
        try { samplerFree.invokeExact(sampler); } catch (Throwable t) { throw rethrow(t); }
    }

    // ---- chat templates ------------------------------------------------------------------------

    /** Bytes of the formatted prompt (may exceed {@code length}: retry larger), or -1 for an unknown template. */
    public int chatApplyTemplate(MemorySegment template, MemorySegment messages, long count, boolean addAssistant,
                                 MemorySegment buf, int length) {
        try {
            return (int) chatApplyTemplate.invokeExact(template, messages, count, addAssistant, buf, length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Writes up to {@code length} names into {@code output}; returns how many exist. */
    public int chatBuiltinTemplates(MemorySegment output, long length) {
        try { return (int) chatBuiltinTemplates.invokeExact(output, length); } catch (Throwable t) { throw rethrow(t); }
    }

    // ---- quantization --------------------------------------------------------------------------

    public MemorySegment modelQuantizeDefaultParams(SegmentAllocator allocator) {
        try { return (MemorySegment) modelQuantizeDefaultParams.invokeExact(allocator); } catch (Throwable t) { throw rethrow(t); }
    }

    /** 0 on success. */
    public int modelQuantize(MemorySegment input, MemorySegment output, MemorySegment params) {
        try { return (int) modelQuantize.invokeExact(input, output, params); } catch (Throwable t) { throw rethrow(t); }
    }

    /** An arena-allocated C string, or NULL for null. */
    public static MemorySegment cString(Arena arena, String s) {
        return s == null ? MemorySegment.NULL : arena.allocateFrom(s);
    }
}
