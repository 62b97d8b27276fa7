// Reference data for ReferenceCorpusTest: what libllama itself does with a vocabulary.
//
// For a GGUF vocabulary and a corpus (inputs separated by "\n__ggml_vocab_test__\n", as llama.cpp's
// .inp files), prints:
//   vocab <n>                  the vocabulary size
//   eog <ids>                  the end-of-generation tokens (llama_vocab_is_eog), as ranges a-b
//   control <ids>              the control tokens (llama_vocab_is_control), as ranges
//   pieces <fnv1a64>           a hash of every token's llama_token_to_piece(special = true):
//                              per token its length (4 bytes, little endian) then its bytes
//   then per input, three lines:
//   p <ids>                    llama_tokenize(add_special = false, parse_special = false)
//   s <ids>                    llama_tokenize(add_special = true, parse_special = true)
//   d <fnv1a64>                llama_detokenize of the s ids (remove_special = false, unparse_special = true)
//
// Re-run (x86-64 Linux, natives fetched by the native module):
//   N=native/target/natives/linux-x64; S=/path/to/llama.cpp   # headers of the same snapshot (de3ff81)
//   gcc -O2 -I$S/include -I$S/ggml/include -o /tmp/tokref
//       bundles/tokenizer/src/test/reference/tokenize_reference.c
//       $N/libllama.v0.5.0.so $N/libggml.v0.5.0.so -Wl,-rpath,$PWD/$N
//   R=bundles/tokenizer/src/test/resources/dev/mica/tokenizer/reference
//   /tmp/tokref $N ~/.cache/mica/vocab/ggml-vocab-qwen2.gguf $R/corpus.inp > $R/qwen2.txt
// (likewise llama-spm, llama-bpe, gpt-2, and ../shared/models/stories260K.gguf and tiny-qwen35.gguf;
// llama-2-tiny-random.gguf has llama-spm's vocabulary and gives the same file)
#define _GNU_SOURCE  // memmem
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "llama.h"

static void quiet(enum ggml_log_level level, const char * text, void * user) {
    (void) level; (void) text; (void) user;
}

static uint64_t fnv(uint64_t h, const void * data, size_t n) {
    const unsigned char * p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static const uint64_t FNV_OFFSET = 0xcbf29ce484222325ULL;

static void print_ranges(const char * label, const struct llama_vocab * vocab, int n,
                         bool (*pred)(const struct llama_vocab *, llama_token)) {
    printf("%s", label);
    for (int i = 0; i < n; i++) {
        if (!pred(vocab, i)) continue;
        int j = i;
        while (j + 1 < n && pred(vocab, j + 1)) j++;
        if (j == i) printf(" %d", i); else printf(" %d-%d", i, j);
        i = j;
    }
    printf("\n");
}

static int tokenize(const struct llama_vocab * vocab, const char * text, int len, bool add, bool parse,
                    llama_token ** out, int * cap) {
    int n = llama_tokenize(vocab, text, len, *out, *cap, add, parse);
    if (n < 0) {
        *cap = -n;
        *out = realloc(*out, sizeof(llama_token) * (size_t) *cap);
        n = llama_tokenize(vocab, text, len, *out, *cap, add, parse);
    }
    return n;
}

int main(int argc, char ** argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s <natives dir> <vocab.gguf> <corpus.inp>\n", argv[0]);
        return 2;
    }
    llama_log_set(quiet, NULL);
    ggml_backend_load_all_from_path(argv[1]);
    llama_backend_init();

    struct llama_model_params mp = llama_model_default_params();
    mp.vocab_only = true;
    struct llama_model * model = llama_model_load_from_file(argv[2], mp);
    if (!model) { fprintf(stderr, "cannot load %s\n", argv[2]); return 1; }
    const struct llama_vocab * vocab = llama_model_get_vocab(model);
    const int n_vocab = llama_vocab_n_tokens(vocab);

    printf("vocab %d\n", n_vocab);
    print_ranges("eog", vocab, n_vocab, llama_vocab_is_eog);
    print_ranges("control", vocab, n_vocab, llama_vocab_is_control);
    uint64_t h = FNV_OFFSET;
    char piece[4096];
    for (int t = 0; t < n_vocab; t++) {
        int k = llama_token_to_piece(vocab, t, piece, sizeof piece, 0, true);
        if (k < 0) { fprintf(stderr, "piece of %d too long\n", t); return 1; }
        uint32_t len = (uint32_t) k;
        unsigned char le[4] = { len & 0xff, (len >> 8) & 0xff, (len >> 16) & 0xff, len >> 24 };
        h = fnv(h, le, 4);
        h = fnv(h, piece, (size_t) k);
    }
    printf("pieces %016llx\n", (unsigned long long) h);

    FILE * f = fopen(argv[3], "rb");
    if (!f) { fprintf(stderr, "cannot read %s\n", argv[3]); return 1; }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char * corpus = malloc((size_t) size + 1);
    if (fread(corpus, 1, (size_t) size, f) != (size_t) size) { fprintf(stderr, "short read\n"); return 1; }
    fclose(f);
    corpus[size] = 0;

    const char * sep = "\n__ggml_vocab_test__\n";
    const size_t sep_len = strlen(sep);
    int cap = 1024;
    llama_token * ids = malloc(sizeof(llama_token) * (size_t) cap);
    int text_cap = 1 << 16;
    char * text = malloc((size_t) text_cap);
    long pos = 0;
    while (pos < size) {
        // memmem, not strstr: inputs may hold NUL bytes
        char * next = memmem(corpus + pos, (size_t) (size - pos), sep, sep_len);
        long end = next ? next - corpus : size;
        const char * input = corpus + pos;
        int len = (int) (end - pos);

        int n = tokenize(vocab, input, len, false, false, &ids, &cap);
        printf("p");
        for (int i = 0; i < n; i++) printf(" %d", ids[i]);
        printf("\n");

        n = tokenize(vocab, input, len, true, true, &ids, &cap);
        printf("s");
        for (int i = 0; i < n; i++) printf(" %d", ids[i]);
        printf("\n");

        int k = llama_detokenize(vocab, ids, n, text, text_cap, false, true);
        if (k < 0) {
            text_cap = -k;
            text = realloc(text, (size_t) text_cap);
            k = llama_detokenize(vocab, ids, n, text, text_cap, false, true);
        }
        printf("d %016llx\n", (unsigned long long) fnv(FNV_OFFSET, text, (size_t) k));

        if (!next) break;
        pos = end + (long) sep_len;
    }
    free(ids);
    free(text);
    free(corpus);
    llama_model_free(model);
    return 0;
}
