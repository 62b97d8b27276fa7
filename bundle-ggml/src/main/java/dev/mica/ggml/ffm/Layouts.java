package dev.mica.ggml.ffm;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.MemoryLayout.paddingLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * libllama's structs as FFM layouts, field for field with the compiler's padding made explicit, for
 * the LP64 ABIs mica runs on (x86-64 SysV and AArch64, where C enums are 4-byte ints and bool 1 byte).
 * The offsets were printed from llama.h of the snapshot the natives are built from
 * ({@code src/test/c/struct_offsets.c}); {@code LayoutsTest} keeps them honest against the library.
 *
 * <p>A field missing here or in the wrong place does not fail loudly: the library reads garbage. So
 * every struct is mirrored in full, even fields mica never sets.
 */
public final class Layouts {
    private Layouts() {}

    /** {@code struct llama_model_params}, 80 bytes. */
    public static final StructLayout MODEL_PARAMS = structLayout(
            ADDRESS.withName("devices"),
            ADDRESS.withName("tensor_buft_overrides"),
            JAVA_INT.withName("n_gpu_layers"),
            JAVA_INT.withName("split_mode"),
            JAVA_INT.withName("load_mode"),
            JAVA_INT.withName("lazy_mode"),
            JAVA_INT.withName("main_gpu"),
            paddingLayout(4),
            ADDRESS.withName("tensor_split"),
            ADDRESS.withName("progress_callback"),
            ADDRESS.withName("progress_callback_user_data"),
            ADDRESS.withName("kv_overrides"),
            JAVA_BOOLEAN.withName("vocab_only"),
            JAVA_BOOLEAN.withName("check_tensors"),
            JAVA_BOOLEAN.withName("use_extra_bufts"),
            JAVA_BOOLEAN.withName("no_host"),
            JAVA_BOOLEAN.withName("no_alloc"),
            JAVA_BOOLEAN.withName("load_mtp"),
            paddingLayout(2)).withName("llama_model_params");

    public static final VarHandle MODEL_N_GPU_LAYERS = field(MODEL_PARAMS, "n_gpu_layers");
    public static final VarHandle MODEL_LOAD_MODE = field(MODEL_PARAMS, "load_mode");
    public static final VarHandle MODEL_PROGRESS_CALLBACK = field(MODEL_PARAMS, "progress_callback");
    public static final VarHandle MODEL_VOCAB_ONLY = field(MODEL_PARAMS, "vocab_only");
    public static final VarHandle MODEL_USE_EXTRA_BUFTS = field(MODEL_PARAMS, "use_extra_bufts");

    /** {@code enum llama_load_mode}: AUTO maps the file where every device supports it. */
    public static final int LOAD_MODE_AUTO = -1;
    public static final int LOAD_MODE_NONE = 0;

    /** {@code struct llama_context_params}, 160 bytes. */
    public static final StructLayout CONTEXT_PARAMS = structLayout(
            JAVA_INT.withName("n_ctx"),
            JAVA_INT.withName("n_batch"),
            JAVA_INT.withName("n_ubatch"),
            JAVA_INT.withName("n_seq_max"),
            JAVA_INT.withName("n_rs_seq"),
            JAVA_INT.withName("n_outputs_max"),
            JAVA_INT.withName("n_outputs_max_per_seq"),
            JAVA_INT.withName("n_threads"),
            JAVA_INT.withName("n_threads_batch"),
            JAVA_INT.withName("ctx_type"),
            JAVA_INT.withName("rope_scaling_type"),
            JAVA_INT.withName("pooling_type"),
            JAVA_INT.withName("attention_type"),
            JAVA_INT.withName("flash_attn_type"),
            JAVA_FLOAT.withName("rope_freq_base"),
            JAVA_FLOAT.withName("rope_freq_scale"),
            JAVA_FLOAT.withName("yarn_ext_factor"),
            JAVA_FLOAT.withName("yarn_attn_factor"),
            JAVA_FLOAT.withName("yarn_beta_fast"),
            JAVA_FLOAT.withName("yarn_beta_slow"),
            JAVA_INT.withName("yarn_orig_ctx"),
            JAVA_FLOAT.withName("defrag_thold"),
            ADDRESS.withName("cb_eval"),
            ADDRESS.withName("cb_eval_user_data"),
            JAVA_INT.withName("type_k"),
            JAVA_INT.withName("type_v"),
            ADDRESS.withName("abort_callback"),
            ADDRESS.withName("abort_callback_data"),
            JAVA_BOOLEAN.withName("embeddings"),
            JAVA_BOOLEAN.withName("offload_kqv"),
            JAVA_BOOLEAN.withName("no_perf"),
            JAVA_BOOLEAN.withName("op_offload"),
            JAVA_BOOLEAN.withName("swa_full"),
            JAVA_BOOLEAN.withName("kv_unified"),
            paddingLayout(2),
            ADDRESS.withName("samplers"),
            JAVA_LONG.withName("n_samplers"),
            ADDRESS.withName("ctx_other")).withName("llama_context_params");

    public static final VarHandle CTX_N_CTX = field(CONTEXT_PARAMS, "n_ctx");
    public static final VarHandle CTX_N_BATCH = field(CONTEXT_PARAMS, "n_batch");
    public static final VarHandle CTX_N_UBATCH = field(CONTEXT_PARAMS, "n_ubatch");
    public static final VarHandle CTX_N_SEQ_MAX = field(CONTEXT_PARAMS, "n_seq_max");
    public static final VarHandle CTX_N_THREADS = field(CONTEXT_PARAMS, "n_threads");
    public static final VarHandle CTX_N_THREADS_BATCH = field(CONTEXT_PARAMS, "n_threads_batch");
    public static final VarHandle CTX_POOLING_TYPE = field(CONTEXT_PARAMS, "pooling_type");
    public static final VarHandle CTX_FLASH_ATTN_TYPE = field(CONTEXT_PARAMS, "flash_attn_type");
    public static final VarHandle CTX_TYPE_K = field(CONTEXT_PARAMS, "type_k");
    public static final VarHandle CTX_ABORT_CALLBACK = field(CONTEXT_PARAMS, "abort_callback");
    public static final VarHandle CTX_ABORT_CALLBACK_DATA = field(CONTEXT_PARAMS, "abort_callback_data");
    public static final VarHandle CTX_EMBEDDINGS = field(CONTEXT_PARAMS, "embeddings");
    public static final VarHandle CTX_OFFLOAD_KQV = field(CONTEXT_PARAMS, "offload_kqv");
    public static final VarHandle CTX_NO_PERF = field(CONTEXT_PARAMS, "no_perf");
    public static final VarHandle CTX_SWA_FULL = field(CONTEXT_PARAMS, "swa_full");
    public static final VarHandle CTX_KV_UNIFIED = field(CONTEXT_PARAMS, "kv_unified");

    /** {@code enum llama_pooling_type}. */
    public static final int POOLING_UNSPECIFIED = -1;
    public static final int POOLING_NONE = 0;
    public static final int POOLING_MEAN = 1;
    public static final int POOLING_RANK = 4;

    /** {@code struct llama_batch}, 56 bytes: a count and six arrays of n_tokens entries each. */
    public static final StructLayout BATCH = structLayout(
            JAVA_INT.withName("n_tokens"),
            paddingLayout(4),
            ADDRESS.withName("token"),
            ADDRESS.withName("embd"),
            ADDRESS.withName("pos"),
            ADDRESS.withName("n_seq_id"),
            ADDRESS.withName("seq_id"),
            ADDRESS.withName("logits")).withName("llama_batch");

    public static final VarHandle BATCH_N_TOKENS = field(BATCH, "n_tokens");
    public static final VarHandle BATCH_TOKEN = field(BATCH, "token");
    public static final VarHandle BATCH_POS = field(BATCH, "pos");
    public static final VarHandle BATCH_N_SEQ_ID = field(BATCH, "n_seq_id");
    public static final VarHandle BATCH_SEQ_ID = field(BATCH, "seq_id");
    public static final VarHandle BATCH_LOGITS = field(BATCH, "logits");

    /** {@code struct llama_token_data}, 12 bytes: a candidate token for the samplers. */
    public static final StructLayout TOKEN_DATA = structLayout(
            JAVA_INT.withName("id"),
            JAVA_FLOAT.withName("logit"),
            JAVA_FLOAT.withName("p")).withName("llama_token_data");

    public static final long TOKEN_DATA_ID = TOKEN_DATA.byteOffset(groupElement("id"));
    public static final long TOKEN_DATA_LOGIT = TOKEN_DATA.byteOffset(groupElement("logit"));
    public static final long TOKEN_DATA_P = TOKEN_DATA.byteOffset(groupElement("p"));

    /** {@code struct llama_token_data_array}, 32 bytes. Samplers may replace {@code data}. */
    public static final StructLayout TOKEN_DATA_ARRAY = structLayout(
            ADDRESS.withName("data"),
            JAVA_LONG.withName("size"),
            JAVA_LONG.withName("selected"),
            JAVA_BOOLEAN.withName("sorted"),
            paddingLayout(7)).withName("llama_token_data_array");

    public static final VarHandle TDA_DATA = field(TOKEN_DATA_ARRAY, "data");
    public static final VarHandle TDA_SIZE = field(TOKEN_DATA_ARRAY, "size");
    public static final VarHandle TDA_SELECTED = field(TOKEN_DATA_ARRAY, "selected");
    public static final VarHandle TDA_SORTED = field(TOKEN_DATA_ARRAY, "sorted");

    /** {@code struct llama_chat_message}, 16 bytes. */
    public static final StructLayout CHAT_MESSAGE = structLayout(
            ADDRESS.withName("role"),
            ADDRESS.withName("content")).withName("llama_chat_message");

    public static final VarHandle CHAT_ROLE = field(CHAT_MESSAGE, "role");
    public static final VarHandle CHAT_CONTENT = field(CHAT_MESSAGE, "content");

    /** {@code struct llama_sampler_chain_params}, 1 byte. */
    public static final StructLayout SAMPLER_CHAIN_PARAMS = structLayout(
            JAVA_BOOLEAN.withName("no_perf")).withName("llama_sampler_chain_params");

    public static final VarHandle CHAIN_NO_PERF = field(SAMPLER_CHAIN_PARAMS, "no_perf");

    /** {@code struct llama_perf_context_data}, 48 bytes. */
    public static final StructLayout PERF_CONTEXT_DATA = structLayout(
            JAVA_DOUBLE.withName("t_start_ms"),
            JAVA_DOUBLE.withName("t_load_ms"),
            JAVA_DOUBLE.withName("t_p_eval_ms"),
            JAVA_DOUBLE.withName("t_eval_ms"),
            JAVA_INT.withName("n_p_eval"),
            JAVA_INT.withName("n_eval"),
            JAVA_INT.withName("n_reused"),
            paddingLayout(4)).withName("llama_perf_context_data");

    public static final VarHandle PERF_T_P_EVAL_MS = field(PERF_CONTEXT_DATA, "t_p_eval_ms");
    public static final VarHandle PERF_T_EVAL_MS = field(PERF_CONTEXT_DATA, "t_eval_ms");
    public static final VarHandle PERF_N_P_EVAL = field(PERF_CONTEXT_DATA, "n_p_eval");
    public static final VarHandle PERF_N_EVAL = field(PERF_CONTEXT_DATA, "n_eval");

    /** {@code struct llama_model_quantize_params}, 64 bytes. */
    public static final StructLayout QUANTIZE_PARAMS = structLayout(
            JAVA_INT.withName("nthread"),
            JAVA_INT.withName("ftype"),
            JAVA_INT.withName("output_tensor_type"),
            JAVA_INT.withName("token_embedding_type"),
            JAVA_BOOLEAN.withName("allow_requantize"),
            JAVA_BOOLEAN.withName("quantize_output_tensor"),
            JAVA_BOOLEAN.withName("only_copy"),
            JAVA_BOOLEAN.withName("pure"),
            JAVA_BOOLEAN.withName("keep_split"),
            JAVA_BOOLEAN.withName("dry_run"),
            paddingLayout(2),
            ADDRESS.withName("imatrix"),
            ADDRESS.withName("kv_overrides"),
            ADDRESS.withName("tt_overrides"),
            ADDRESS.withName("prune_layers"),
            JAVA_LONG.withName("max_buf_size")).withName("llama_model_quantize_params");

    public static final VarHandle QUANT_NTHREAD = field(QUANTIZE_PARAMS, "nthread");
    public static final VarHandle QUANT_FTYPE = field(QUANTIZE_PARAMS, "ftype");
    public static final VarHandle QUANT_ALLOW_REQUANTIZE = field(QUANTIZE_PARAMS, "allow_requantize");

    /** The element layout of {@code int32_t}/{@code llama_token} arrays. */
    public static final MemoryLayout TOKEN = JAVA_INT;

    /**
     * A var handle for one field, taking (segment, base offset) as coordinates. Callers always pass
     * {@code 0L} for the offset: each struct lives in its own segment.
     */
    private static VarHandle field(StructLayout layout, String name) {
        return layout.varHandle(groupElement(name));
    }
}
