// Reference output for SharedModelsTest: llama.cpp's own greedy decoding of stories260K.
//
// Same steps as the Java test: tokenize "Once upon a time" with the vocabulary's special tokens
// (BOS), decode the prompt as one batch, then pick the arg-max token 64 times (or until an
// end-of-generation token), decoding one token at a time. Prints the token ids and the text.
//
// Re-run (x86-64 Linux, natives fetched by the native module):
//   N=native/target/natives/linux-x64; S=/path/to/llama.cpp   # headers of the same snapshot (de3ff81)
//   gcc -I$S/include -I$S/ggml/include bundle-ggml/src/test/c/greedy_reference.c -o /tmp/greedy
//       $N/libllama.v0.5.0.so $N/libggml.v0.5.0.so -Wl,-rpath,$N
//   /tmp/greedy $N ../shared/models/stories260K.gguf
#include <stdio.h>
#include <string.h>
#include "llama.h"

static void quiet(enum ggml_log_level level, const char * text, void * user) {
    (void) level; (void) text; (void) user;
}

int main(int argc, char ** argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s <natives dir> <model.gguf>\n", argv[0]);
        return 2;
    }
    llama_log_set(quiet, NULL);
    ggml_backend_load_all_from_path(argv[1]);
    llama_backend_init();

    struct llama_model_params mp = llama_model_default_params();
    struct llama_model * model = llama_model_load_from_file(argv[2], mp);
    if (!model) { fprintf(stderr, "cannot load %s\n", argv[2]); return 1; }
    const struct llama_vocab * vocab = llama_model_get_vocab(model);

    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = 256;
    cp.n_batch = 64;
    cp.n_seq_max = 1;
    cp.n_threads = 2;
    cp.n_threads_batch = 2;
    cp.no_perf = false;
    struct llama_context * ctx = llama_init_from_model(model, cp);
    if (!ctx) { fprintf(stderr, "cannot create context\n"); return 1; }

    const char * prompt = "Once upon a time";
    llama_token tokens[64];
    int n = llama_tokenize(vocab, prompt, (int) strlen(prompt), tokens, 64, true, false);

    struct llama_batch batch = llama_batch_init(64, 0, 1);
    batch.n_tokens = n;
    for (int i = 0; i < n; i++) {
        batch.token[i] = tokens[i];
        batch.pos[i] = i;
        batch.n_seq_id[i] = 1;
        batch.seq_id[i][0] = 0;
        batch.logits[i] = i == n - 1;
    }
    printf("prompt ids:");
    for (int i = 0; i < n; i++) printf(" %d", tokens[i]);
    printf("\n");

    const int n_vocab = llama_vocab_n_tokens(vocab);
    int pos = n;
    char text[4096] = {0};
    size_t len = 0;
    printf("generated ids:");
    for (int step = 0; step < 64; step++) {
        if (llama_decode(ctx, batch) != 0) { fprintf(stderr, "decode failed\n"); return 1; }
        const float * logits = llama_get_logits_ith(ctx, batch.n_tokens - 1);
        llama_token best = 0;
        for (llama_token t = 1; t < n_vocab; t++) {
            if (logits[t] > logits[best]) best = t;
        }
        printf(" %d", best);
        if (llama_vocab_is_eog(vocab, best)) break;
        char piece[64];
        int k = llama_token_to_piece(vocab, best, piece, sizeof piece, 0, true);
        memcpy(text + len, piece, k);
        len += k;
        batch.n_tokens = 1;
        batch.token[0] = best;
        batch.pos[0] = pos++;
        batch.n_seq_id[0] = 1;
        batch.seq_id[0][0] = 0;
        batch.logits[0] = 1;
    }
    printf("\ntext: [%s]\n", text);

    llama_batch_free(batch);
    llama_free(ctx);
    llama_model_free(model);
    return 0;
}
