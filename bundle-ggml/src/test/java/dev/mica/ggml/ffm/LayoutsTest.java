package dev.mica.ggml.ffm;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The FFM layouts against the C compiler and against the library. Sizes and offsets were printed by
 * {@code src/test/c/struct_offsets.c} (gcc, x86-64) from llama.h; the defaults are what
 * {@code llama_*_default_params()} return, read through the layouts: a field in the wrong place
 * reads as garbage there.
 */
class LayoutsTest {
    private static Llama llama;

    @BeforeAll
    static void load() throws Exception {
        String path = System.getProperty("mica.llama.path");
        assertNotNull(path, "mica.llama.path is not set: run the tests through Maven");
        llama = Natives.load(Path.of(path));
    }

    private static void assertOffsets(StructLayout layout, long size, Object... nameOffset) {
        Map<String, Long> expected = new LinkedHashMap<>();
        for (int i = 0; i < nameOffset.length; i += 2) {
            expected.put((String) nameOffset[i], ((Number) nameOffset[i + 1]).longValue());
        }
        assertAll(layout.name().orElseThrow(),
                () -> assertEquals(size, layout.byteSize(), "size"),
                () -> expected.forEach((field, offset) ->
                        assertEquals(offset, layout.byteOffset(groupElement(field)), field)));
    }

    @Test
    void modelParamsMatchTheCompiler() {
        assertOffsets(Layouts.MODEL_PARAMS, 80,
                "devices", 0, "tensor_buft_overrides", 8, "n_gpu_layers", 16, "split_mode", 20, "load_mode", 24,
                "lazy_mode", 28, "main_gpu", 32, "tensor_split", 40, "progress_callback", 48,
                "progress_callback_user_data", 56, "kv_overrides", 64, "vocab_only", 72, "check_tensors", 73,
                "use_extra_bufts", 74, "no_host", 75, "no_alloc", 76, "load_mtp", 77);
    }

    @Test
    void contextParamsMatchTheCompiler() {
        assertOffsets(Layouts.CONTEXT_PARAMS, 160,
                "n_ctx", 0, "n_batch", 4, "n_ubatch", 8, "n_seq_max", 12, "n_rs_seq", 16, "n_outputs_max", 20,
                "n_outputs_max_per_seq", 24, "n_threads", 28, "n_threads_batch", 32, "ctx_type", 36,
                "rope_scaling_type", 40, "pooling_type", 44, "attention_type", 48, "flash_attn_type", 52,
                "rope_freq_base", 56, "rope_freq_scale", 60, "yarn_ext_factor", 64, "yarn_attn_factor", 68,
                "yarn_beta_fast", 72, "yarn_beta_slow", 76, "yarn_orig_ctx", 80, "defrag_thold", 84, "cb_eval", 88,
                "cb_eval_user_data", 96, "type_k", 104, "type_v", 108, "abort_callback", 112,
                "abort_callback_data", 120, "embeddings", 128, "offload_kqv", 129, "no_perf", 130, "op_offload", 131,
                "swa_full", 132, "kv_unified", 133, "samplers", 136, "n_samplers", 144, "ctx_other", 152);
    }

    @Test
    void smallStructsMatchTheCompiler() {
        assertOffsets(Layouts.BATCH, 56, "n_tokens", 0, "token", 8, "embd", 16, "pos", 24, "n_seq_id", 32,
                "seq_id", 40, "logits", 48);
        assertEquals(12, Layouts.TOKEN_DATA.byteSize());
        assertEquals(0, Layouts.TOKEN_DATA_ID);
        assertEquals(4, Layouts.TOKEN_DATA_LOGIT);
        assertEquals(8, Layouts.TOKEN_DATA_P);
        assertOffsets(Layouts.TOKEN_DATA_ARRAY, 32, "data", 0, "size", 8, "selected", 16, "sorted", 24);
        assertOffsets(Layouts.CHAT_MESSAGE, 16, "role", 0, "content", 8);
        assertOffsets(Layouts.PERF_CONTEXT_DATA, 48, "t_start_ms", 0, "t_load_ms", 8, "t_p_eval_ms", 16,
                "t_eval_ms", 24, "n_p_eval", 32, "n_eval", 36, "n_reused", 40);
        assertOffsets(Layouts.QUANTIZE_PARAMS, 64, "nthread", 0, "ftype", 4, "output_tensor_type", 8,
                "token_embedding_type", 12, "allow_requantize", 16, "quantize_output_tensor", 17, "only_copy", 18,
                "pure", 19, "keep_split", 20, "dry_run", 21, "imatrix", 24, "kv_overrides", 32, "tt_overrides", 40,
                "prune_layers", 48, "max_buf_size", 56);
        assertEquals(1, Layouts.SAMPLER_CHAIN_PARAMS.byteSize());
    }

    @Test
    void contextDefaultsReadBackThroughTheLayout() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = llama.contextDefaultParams(arena);
            assertEquals(160, p.byteSize());
            assertAll(
                    () -> assertEquals(512, (int) Layouts.CTX_N_CTX.get(p, 0L), "n_ctx"),
                    () -> assertEquals(2048, (int) Layouts.CTX_N_BATCH.get(p, 0L), "n_batch"),
                    () -> assertEquals(512, (int) Layouts.CTX_N_UBATCH.get(p, 0L), "n_ubatch"),
                    () -> assertEquals(1, (int) Layouts.CTX_N_SEQ_MAX.get(p, 0L), "n_seq_max"),
                    () -> assertEquals(4, (int) Layouts.CTX_N_THREADS.get(p, 0L), "n_threads (GGML_DEFAULT_N_THREADS)"),
                    () -> assertEquals(4, (int) Layouts.CTX_N_THREADS_BATCH.get(p, 0L), "n_threads_batch"),
                    () -> assertEquals(Layouts.POOLING_UNSPECIFIED, (int) Layouts.CTX_POOLING_TYPE.get(p, 0L), "pooling_type"),
                    () -> assertEquals(-1, (int) Layouts.CTX_FLASH_ATTN_TYPE.get(p, 0L), "flash_attn_type AUTO"),
                    () -> assertEquals(1, (int) Layouts.CTX_TYPE_K.get(p, 0L), "type_k F16"),
                    () -> assertEquals(1, p.get(ValueLayout.JAVA_INT, Layouts.CONTEXT_PARAMS.byteOffset(groupElement("type_v"))), "type_v F16"),
                    () -> assertEquals(-1f, p.get(ValueLayout.JAVA_FLOAT, Layouts.CONTEXT_PARAMS.byteOffset(groupElement("yarn_ext_factor"))), "yarn_ext_factor"),
                    () -> assertEquals(-1f, p.get(ValueLayout.JAVA_FLOAT, Layouts.CONTEXT_PARAMS.byteOffset(groupElement("defrag_thold"))), "defrag_thold"),
                    () -> assertEquals(MemorySegment.NULL, Layouts.CTX_ABORT_CALLBACK.get(p, 0L), "abort_callback"),
                    () -> assertFalse((boolean) Layouts.CTX_EMBEDDINGS.get(p, 0L), "embeddings"),
                    () -> assertTrue((boolean) Layouts.CTX_OFFLOAD_KQV.get(p, 0L), "offload_kqv"),
                    () -> assertTrue((boolean) Layouts.CTX_NO_PERF.get(p, 0L), "no_perf"),
                    () -> assertTrue(p.get(ValueLayout.JAVA_BOOLEAN, Layouts.CONTEXT_PARAMS.byteOffset(groupElement("op_offload"))), "op_offload"),
                    () -> assertTrue((boolean) Layouts.CTX_SWA_FULL.get(p, 0L), "swa_full"),
                    () -> assertFalse((boolean) Layouts.CTX_KV_UNIFIED.get(p, 0L), "kv_unified"),
                    () -> assertEquals(0L, p.get(ValueLayout.JAVA_LONG, Layouts.CONTEXT_PARAMS.byteOffset(groupElement("n_samplers"))), "n_samplers"),
                    () -> assertEquals(MemorySegment.NULL, p.get(ValueLayout.ADDRESS, Layouts.CONTEXT_PARAMS.byteOffset(groupElement("ctx_other"))), "ctx_other"));
        }
    }

    @Test
    void modelDefaultsReadBackThroughTheLayout() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = llama.modelDefaultParams(arena);
            assertEquals(80, p.byteSize());
            assertAll(
                    () -> assertEquals(-1, (int) Layouts.MODEL_N_GPU_LAYERS.get(p, 0L), "n_gpu_layers (all)"),
                    () -> assertEquals(1, p.get(ValueLayout.JAVA_INT, Layouts.MODEL_PARAMS.byteOffset(groupElement("split_mode"))), "split_mode LAYER"),
                    () -> assertEquals(Layouts.LOAD_MODE_AUTO, (int) Layouts.MODEL_LOAD_MODE.get(p, 0L), "load_mode AUTO (mmap)"),
                    () -> assertEquals(1, p.get(ValueLayout.JAVA_INT, Layouts.MODEL_PARAMS.byteOffset(groupElement("lazy_mode"))), "lazy_mode AUTO"),
                    () -> assertEquals(MemorySegment.NULL, Layouts.MODEL_PROGRESS_CALLBACK.get(p, 0L), "progress_callback"),
                    () -> assertFalse((boolean) Layouts.MODEL_VOCAB_ONLY.get(p, 0L), "vocab_only"),
                    () -> assertTrue((boolean) Layouts.MODEL_USE_EXTRA_BUFTS.get(p, 0L), "use_extra_bufts"),
                    () -> assertFalse(p.get(ValueLayout.JAVA_BOOLEAN, Layouts.MODEL_PARAMS.byteOffset(groupElement("load_mtp"))), "load_mtp"));
        }
    }

    @Test
    void quantizeAndSamplerDefaultsReadBackThroughTheLayout() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment q = llama.modelQuantizeDefaultParams(arena);
            assertAll(
                    () -> assertEquals(0, (int) Layouts.QUANT_NTHREAD.get(q, 0L), "nthread"),
                    () -> assertEquals(7, (int) Layouts.QUANT_FTYPE.get(q, 0L), "ftype Q8_0"),
                    () -> assertFalse((boolean) Layouts.QUANT_ALLOW_REQUANTIZE.get(q, 0L), "allow_requantize"),
                    () -> assertTrue(q.get(ValueLayout.JAVA_BOOLEAN, Layouts.QUANTIZE_PARAMS.byteOffset(groupElement("quantize_output_tensor"))), "quantize_output_tensor"),
                    () -> assertEquals(8L << 30, q.get(ValueLayout.JAVA_LONG, Layouts.QUANTIZE_PARAMS.byteOffset(groupElement("max_buf_size"))), "max_buf_size 8 GiB"));
            MemorySegment chain = llama.samplerChainDefaultParams(arena);
            assertTrue((boolean) Layouts.CHAIN_NO_PERF.get(chain, 0L), "sampler chain no_perf");
        }
    }

    @Test
    void batchInitFillsTheLayoutsPointers() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment batch = llama.batchInit(arena, 8, 0, 1);
            try {
                assertEquals(56, batch.byteSize());
                assertFalse(((MemorySegment) Layouts.BATCH_TOKEN.get(batch, 0L)).equals(MemorySegment.NULL), "token");
                assertEquals(MemorySegment.NULL, batch.get(ValueLayout.ADDRESS, Layouts.BATCH.byteOffset(groupElement("embd"))), "embd");
                assertFalse(((MemorySegment) Layouts.BATCH_POS.get(batch, 0L)).equals(MemorySegment.NULL), "pos");
                assertFalse(((MemorySegment) Layouts.BATCH_SEQ_ID.get(batch, 0L)).equals(MemorySegment.NULL), "seq_id");
                assertFalse(((MemorySegment) Layouts.BATCH_LOGITS.get(batch, 0L)).equals(MemorySegment.NULL), "logits");
            } finally {
                llama.batchFree(batch);
            }
        }
    }
}
