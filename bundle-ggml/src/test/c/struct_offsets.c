// Prints size and field offsets of the libllama structs that the FFM layouts in
// dev.mica.ggml.ffm.Layouts mirror. The numbers are pasted into LayoutsTest.
//
// Re-run (x86-64 Linux, headers of the llama.cpp snapshot the natives were built from):
//   gcc -I$LLAMA_SRC/include -I$LLAMA_SRC/ggml/include struct_offsets.c -o /tmp/struct_offsets && /tmp/struct_offsets
#include <stddef.h>
#include <stdio.h>
#include "llama.h"

#define S(T) printf("%-32s size %zu align %zu\n", #T, sizeof(T), _Alignof(T))
#define F(T, f) printf("  %-30s %zu\n", #f, offsetof(T, f))

int main(void) {
    S(struct llama_model_params);
    F(struct llama_model_params, devices);
    F(struct llama_model_params, tensor_buft_overrides);
    F(struct llama_model_params, n_gpu_layers);
    F(struct llama_model_params, split_mode);
    F(struct llama_model_params, load_mode);
    F(struct llama_model_params, lazy_mode);
    F(struct llama_model_params, main_gpu);
    F(struct llama_model_params, tensor_split);
    F(struct llama_model_params, progress_callback);
    F(struct llama_model_params, progress_callback_user_data);
    F(struct llama_model_params, kv_overrides);
    F(struct llama_model_params, vocab_only);
    F(struct llama_model_params, check_tensors);
    F(struct llama_model_params, use_extra_bufts);
    F(struct llama_model_params, no_host);
    F(struct llama_model_params, no_alloc);
    F(struct llama_model_params, load_mtp);

    S(struct llama_context_params);
    F(struct llama_context_params, n_ctx);
    F(struct llama_context_params, n_batch);
    F(struct llama_context_params, n_ubatch);
    F(struct llama_context_params, n_seq_max);
    F(struct llama_context_params, n_rs_seq);
    F(struct llama_context_params, n_outputs_max);
    F(struct llama_context_params, n_outputs_max_per_seq);
    F(struct llama_context_params, n_threads);
    F(struct llama_context_params, n_threads_batch);
    F(struct llama_context_params, ctx_type);
    F(struct llama_context_params, rope_scaling_type);
    F(struct llama_context_params, pooling_type);
    F(struct llama_context_params, attention_type);
    F(struct llama_context_params, flash_attn_type);
    F(struct llama_context_params, rope_freq_base);
    F(struct llama_context_params, rope_freq_scale);
    F(struct llama_context_params, yarn_ext_factor);
    F(struct llama_context_params, yarn_attn_factor);
    F(struct llama_context_params, yarn_beta_fast);
    F(struct llama_context_params, yarn_beta_slow);
    F(struct llama_context_params, yarn_orig_ctx);
    F(struct llama_context_params, defrag_thold);
    F(struct llama_context_params, cb_eval);
    F(struct llama_context_params, cb_eval_user_data);
    F(struct llama_context_params, type_k);
    F(struct llama_context_params, type_v);
    F(struct llama_context_params, abort_callback);
    F(struct llama_context_params, abort_callback_data);
    F(struct llama_context_params, embeddings);
    F(struct llama_context_params, offload_kqv);
    F(struct llama_context_params, no_perf);
    F(struct llama_context_params, op_offload);
    F(struct llama_context_params, swa_full);
    F(struct llama_context_params, kv_unified);
    F(struct llama_context_params, samplers);
    F(struct llama_context_params, n_samplers);
    F(struct llama_context_params, ctx_other);

    S(struct llama_batch);
    F(struct llama_batch, n_tokens);
    F(struct llama_batch, token);
    F(struct llama_batch, embd);
    F(struct llama_batch, pos);
    F(struct llama_batch, n_seq_id);
    F(struct llama_batch, seq_id);
    F(struct llama_batch, logits);

    S(struct llama_token_data);
    F(struct llama_token_data, id);
    F(struct llama_token_data, logit);
    F(struct llama_token_data, p);

    S(struct llama_token_data_array);
    F(struct llama_token_data_array, data);
    F(struct llama_token_data_array, size);
    F(struct llama_token_data_array, selected);
    F(struct llama_token_data_array, sorted);

    S(struct llama_chat_message);
    F(struct llama_chat_message, role);
    F(struct llama_chat_message, content);

    S(struct llama_sampler_chain_params);
    F(struct llama_sampler_chain_params, no_perf);

    S(struct llama_perf_context_data);
    F(struct llama_perf_context_data, t_start_ms);
    F(struct llama_perf_context_data, t_load_ms);
    F(struct llama_perf_context_data, t_p_eval_ms);
    F(struct llama_perf_context_data, t_eval_ms);
    F(struct llama_perf_context_data, n_p_eval);
    F(struct llama_perf_context_data, n_eval);
    F(struct llama_perf_context_data, n_reused);

    S(struct llama_model_quantize_params);
    F(struct llama_model_quantize_params, nthread);
    F(struct llama_model_quantize_params, ftype);
    F(struct llama_model_quantize_params, output_tensor_type);
    F(struct llama_model_quantize_params, token_embedding_type);
    F(struct llama_model_quantize_params, allow_requantize);
    F(struct llama_model_quantize_params, quantize_output_tensor);
    F(struct llama_model_quantize_params, only_copy);
    F(struct llama_model_quantize_params, pure);
    F(struct llama_model_quantize_params, keep_split);
    F(struct llama_model_quantize_params, dry_run);
    F(struct llama_model_quantize_params, imatrix);
    F(struct llama_model_quantize_params, kv_overrides);
    F(struct llama_model_quantize_params, tt_overrides);
    F(struct llama_model_quantize_params, prune_layers);
    F(struct llama_model_quantize_params, max_buf_size);

    // Defaults the library returns, for the layout test's expectations.
    struct llama_model_params mp = llama_model_default_params();
    printf("model defaults: n_gpu_layers %d split_mode %d load_mode %d lazy_mode %d main_gpu %d vocab_only %d check_tensors %d use_extra_bufts %d no_host %d no_alloc %d load_mtp %d\n",
           mp.n_gpu_layers, mp.split_mode, mp.load_mode, mp.lazy_mode, mp.main_gpu, mp.vocab_only, mp.check_tensors, mp.use_extra_bufts, mp.no_host, mp.no_alloc, mp.load_mtp);
    struct llama_context_params cp = llama_context_default_params();
    printf("context defaults: n_ctx %u n_batch %u n_ubatch %u n_seq_max %u n_rs_seq %u n_outputs_max %u n_threads %d n_threads_batch %d ctx_type %d rope_scaling %d pooling %d attention %d flash_attn %d\n",
           cp.n_ctx, cp.n_batch, cp.n_ubatch, cp.n_seq_max, cp.n_rs_seq, cp.n_outputs_max, cp.n_threads, cp.n_threads_batch, cp.ctx_type, cp.rope_scaling_type, cp.pooling_type, cp.attention_type, cp.flash_attn_type);
    printf("  rope_freq_base %g rope_freq_scale %g yarn_ext %g yarn_attn %g beta_fast %g beta_slow %g yarn_orig %u defrag %g type_k %d type_v %d\n",
           cp.rope_freq_base, cp.rope_freq_scale, cp.yarn_ext_factor, cp.yarn_attn_factor, cp.yarn_beta_fast, cp.yarn_beta_slow, cp.yarn_orig_ctx, cp.defrag_thold, cp.type_k, cp.type_v);
    printf("  embeddings %d offload_kqv %d no_perf %d op_offload %d swa_full %d kv_unified %d n_samplers %zu\n",
           cp.embeddings, cp.offload_kqv, cp.no_perf, cp.op_offload, cp.swa_full, cp.kv_unified, cp.n_samplers);
    struct llama_model_quantize_params qp = llama_model_quantize_default_params();
    printf("quantize defaults: nthread %d ftype %d output %d embd %d allow_requant %d quant_output %d only_copy %d pure %d keep_split %d dry_run %d max_buf %zu\n",
           qp.nthread, qp.ftype, qp.output_tensor_type, qp.token_embedding_type, qp.allow_requantize, qp.quantize_output_tensor, qp.only_copy, qp.pure, qp.keep_split, qp.dry_run, qp.max_buf_size);
    return 0;
}
