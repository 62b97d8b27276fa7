/*
 * The MLX backend's decode step written directly against mlx-c: the reference that
 * bench/mlx-bench.sh divides the MLX backend's step time by. Same model (a Llama GGUF, Q4_0 or Q8_0),
 * same ops in the same order as bundle-mlx's MlxOps runs arch-llama's forward pass (rms_norm,
 * quantized_matmul, fast rope on [heads, tokens, dim], KV grown by concatenation, fast SDPA, SiLU as
 * x·sigmoid(x), the tied output projection), same float32 activations and float32 scales.
 *
 * Weights come from mlx_load_gguf (Q4_0/Q8_0 → MLX affine, group 32), scales and biases cast to float32
 * as bundle-mlx's loader makes them. The KV of the first CTX positions is random (its values do not
 * change the work); then STEPS decode steps are timed one by one: build the graph, evaluate logits and
 * the new KV together, copy the logits to host memory.
 *
 *   mlx_ref MODEL.gguf LAYERS HEADS KV_HEADS HEAD_DIM EPS ROPE_BASE [CTX=32] [STEPS=16] [TOKEN]
 * Prints each step's milliseconds and the median. With CTX 0 and a TOKEN, the warm-up step decodes that
 * token at position 0 with an empty cache and prints its first logits: the MLX backend's logits for the
 * same token, which shows this program computes what the backend computes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
#include "mlx/c/mlx.h"

static mlx_stream S;
static mlx_io_gguf G;
static mlx_array pool[4096];
static int npool;

static void on_error(const char* msg, void* data) {
    (void) data;
    fprintf(stderr, "mlx error: %s\n", msg);
    exit(1);
}

/* A result handle owned by the current step: freed together when it ends. */
static mlx_array* fresh(void) {
    if (npool == 4096) { fprintf(stderr, "pool full\n"); exit(1); }
    pool[npool] = mlx_array_new();
    return &pool[npool++];
}

static void free_step(void) {
    for (int i = 0; i < npool; i++) mlx_array_free(pool[i]);
    npool = 0;
}

static mlx_array get(const char* name) {
    mlx_array a = mlx_array_new();
    if (mlx_io_gguf_get_array(&a, G, name)) { fprintf(stderr, "no tensor %s\n", name); exit(1); }
    return a;
}

static mlx_array f32(mlx_array a) {
    if (mlx_array_dtype(a) == MLX_FLOAT32) return a;
    mlx_array r = mlx_array_new();
    mlx_astype(&r, a, MLX_FLOAT32, S);
    mlx_array_eval(r);
    mlx_array_free(a);
    return r;
}

typedef struct { mlx_array w, s, b; } qweight;

static qweight qget(const char* base) {
    char n[256];
    qweight q;
    snprintf(n, sizeof n, "%s.weight", base); q.w = get(n);
    snprintf(n, sizeof n, "%s.scales", base); q.s = f32(get(n));
    snprintf(n, sizeof n, "%s.biases", base); q.b = f32(get(n));
    return q;
}

static int group_size, bits;

static mlx_array qmm(mlx_array x, qweight w) {
    mlx_array* r = fresh();
    mlx_optional_int g = {group_size, true}, b = {bits, true};
    mlx_quantized_matmul(r, x, w.w, w.s, w.b, true, g, b, "affine", S);
    return *r;
}

static mlx_array reshape(mlx_array x, const int* shape, int n) {
    mlx_array* r = fresh();
    mlx_reshape(r, x, shape, n, S);
    return *r;
}

static mlx_array swap(mlx_array x, int a, int b) {
    mlx_array* r = fresh();
    mlx_swapaxes(r, x, a, b, S);
    return *r;
}

static mlx_array binop(int (*f)(mlx_array*, mlx_array, mlx_array, mlx_stream), mlx_array a, mlx_array b) {
    mlx_array* r = fresh();
    f(r, a, b, S);
    return *r;
}

static mlx_array rms(mlx_array x, mlx_array w, float eps) {
    mlx_array* r = fresh();
    mlx_fast_rms_norm(r, x, w, eps, S);
    return *r;
}

static mlx_array rope(mlx_array x, int dims, float base, int pos) {
    mlx_array heads = swap(x, 0, 1);
    mlx_array* r = fresh();
    mlx_optional_float b = {base, true};
    mlx_fast_rope(r, heads, dims, true, b, 1.0f, pos, (mlx_array) {0}, S);
    return swap(*r, 0, 1);
}

static mlx_array heads_first(mlx_array x) {
    mlx_array* r = fresh();
    mlx_expand_dims(r, swap(x, 0, 1), 0, S);
    return *r;
}

static mlx_array concat2(mlx_array a, mlx_array b, int axis) {
    mlx_vector_array v = mlx_vector_array_new();
    mlx_vector_array_append_value(v, a);
    mlx_vector_array_append_value(v, b);
    mlx_array* r = fresh();
    mlx_concatenate_axis(r, v, axis, S);
    mlx_vector_array_free(v);
    return *r;
}

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp(const void* a, const void* b) {
    double x = *(const double*) a, y = *(const double*) b;
    return x < y ? -1 : x > y;
}

int main(int argc, char** argv) {
    if (argc < 8) {
        fprintf(stderr, "usage: %s MODEL.gguf LAYERS HEADS KV_HEADS HEAD_DIM EPS ROPE_BASE [CTX] [STEPS]\n", argv[0]);
        return 2;
    }
    mlx_set_error_handler(on_error, NULL, NULL);
    int layers = atoi(argv[2]), heads = atoi(argv[3]), kvh = atoi(argv[4]), hd = atoi(argv[5]);
    float eps = (float) atof(argv[6]), base = (float) atof(argv[7]);
    int ctx = argc > 8 ? atoi(argv[8]) : 32, steps = argc > 9 ? atoi(argv[9]) : 16, given = argc > 10 ? atoi(argv[10]) : -1;
    S = mlx_default_cpu_stream_new();
    G = mlx_io_gguf_new();
    if (mlx_load_gguf(&G, argv[1], S)) return 1;

    qweight embd = qget("token_embd");
    int packed_cols = mlx_array_shape(embd.w)[1], groups = mlx_array_shape(embd.s)[1];
    int width = heads * hd;
    bits = packed_cols * 32 / width;
    group_size = width / groups;
    int vocab = mlx_array_shape(embd.w)[0];
    fprintf(stderr, "token_embd: %d x %d, %d-bit affine, group %d; weight dtype %d, scales dtype %d\n", vocab, width, bits, group_size,
            mlx_array_dtype(embd.w), mlx_array_dtype(embd.s));
    mlx_array out_norm = f32(get("output_norm.weight"));
    mlx_array* attn_norm = calloc(layers, sizeof(mlx_array));
    mlx_array* ffn_norm = calloc(layers, sizeof(mlx_array));
    qweight* w = calloc(layers * 7, sizeof(qweight));
    const char* names[] = {"attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"};
    mlx_vector_array all = mlx_vector_array_new();
    for (int l = 0; l < layers; l++) {
        char n[128];
        snprintf(n, sizeof n, "blk.%d.attn_norm.weight", l); attn_norm[l] = f32(get(n));
        snprintf(n, sizeof n, "blk.%d.ffn_norm.weight", l); ffn_norm[l] = f32(get(n));
        for (int k = 0; k < 7; k++) {
            snprintf(n, sizeof n, "blk.%d.%s", l, names[k]);
            qweight q = qget(n);
            w[l * 7 + k] = q;
            mlx_vector_array_append_value(all, q.w);
        }
    }
    mlx_vector_array_append_value(all, embd.w);
    mlx_eval(all);
    mlx_vector_array_free(all);

    /* random KV of the first ctx positions: [1, kvh, ctx, hd] per layer */
    mlx_array* K = calloc(layers, sizeof(mlx_array));
    mlx_array* V = calloc(layers, sizeof(mlx_array));
    int kvshape[] = {1, kvh, ctx, hd};
    for (int l = 0; l < layers; l++) {
        K[l] = mlx_array_new();
        V[l] = mlx_array_new();
        mlx_random_normal(&K[l], kvshape, 4, MLX_FLOAT32, 0.0f, 1.0f, (mlx_array) {0}, S);
        mlx_random_normal(&V[l], kvshape, 4, MLX_FLOAT32, 0.0f, 1.0f, (mlx_array) {0}, S);
        mlx_array_eval(K[l]);
        mlx_array_eval(V[l]);
    }
    float* logits = malloc(sizeof(float) * vocab);
    double* ms = malloc(sizeof(double) * steps);
    float scale = 1.0f / sqrtf((float) hd);
    srand(1234);
    for (int step = -1; step < steps; step++) {   /* step -1: warm-up, untimed */
        int pos = ctx + step + 1;
        int token = step == -1 && given >= 0 ? given : rand() % vocab;
        double t0 = now_ms();
        mlx_array idx = mlx_array_new_data(&token, (int[]) {1}, 1, MLX_INT32);
        pool[npool++] = idx;
        mlx_array* rows = fresh(); mlx_take_axis(rows, embd.w, idx, 0, S);
        mlx_array* srow = fresh(); mlx_take_axis(srow, embd.s, idx, 0, S);
        mlx_array* brow = fresh(); mlx_take_axis(brow, embd.b, idx, 0, S);
        mlx_array* x = fresh();
        mlx_optional_int g = {group_size, true}, b = {bits, true};
        mlx_optional_dtype dt = {MLX_FLOAT32, true};
        mlx_dequantize(x, *rows, *srow, *brow, g, b, "affine", (mlx_array) {0}, dt, S);
        mlx_array h, cur = *x;
        mlx_array* newK = calloc(layers, sizeof(mlx_array));
        mlx_array* newV = calloc(layers, sizeof(mlx_array));
        for (int l = 0; l < layers; l++) {
            qweight* lw = &w[l * 7];
            h = rms(cur, attn_norm[l], eps);
            int qs[] = {1, heads, hd}, ks[] = {1, kvh, hd};
            mlx_array q = rope(reshape(qmm(h, lw[0]), qs, 3), hd, base, pos);
            mlx_array k = rope(reshape(qmm(h, lw[1]), ks, 3), hd, base, pos);
            mlx_array v = reshape(qmm(h, lw[2]), ks, 3);
            newK[l] = concat2(K[l], heads_first(k), 2);
            newV[l] = concat2(V[l], heads_first(v), 2);
            mlx_array* att = fresh();
            mlx_fast_scaled_dot_product_attention(att, heads_first(q), newK[l], newV[l], scale, "", (mlx_array) {0}, (mlx_array) {0}, S);
            mlx_array* tr = fresh();
            mlx_transpose_axes(tr, *att, (int[]) {0, 2, 1, 3}, 4, S);
            mlx_array a2 = reshape(*tr, (int[]) {1, heads * hd}, 2);
            cur = binop(mlx_add, cur, qmm(a2, lw[3]));
            h = rms(cur, ffn_norm[l], eps);
            mlx_array gate = qmm(h, lw[4]);
            mlx_array* sg = fresh(); mlx_sigmoid(sg, gate, S);
            mlx_array act = binop(mlx_multiply, binop(mlx_multiply, gate, *sg), qmm(h, lw[5]));
            cur = binop(mlx_add, cur, qmm(act, lw[6]));
        }
        int zero = 0;
        mlx_array first = mlx_array_new_data(&zero, (int[]) {1}, 1, MLX_INT32);
        pool[npool++] = first;
        mlx_array* last = fresh();
        mlx_take_axis(last, cur, first, 0, S);   /* the output rows, as MlxOps.rows takes them */
        mlx_array out = qmm(rms(*last, out_norm, eps), embd);
        mlx_vector_array ev = mlx_vector_array_new();
        mlx_vector_array_append_value(ev, out);
        for (int l = 0; l < layers; l++) {
            mlx_vector_array_append_value(ev, newK[l]);
            mlx_vector_array_append_value(ev, newV[l]);
        }
        mlx_eval(ev);
        mlx_vector_array_free(ev);
        memcpy(logits, mlx_array_data_float32(out), sizeof(float) * vocab);
        /* keep the grown KV, free everything else of the step */
        for (int l = 0; l < layers; l++) {
            mlx_array_free(K[l]); mlx_array_free(V[l]);
            K[l] = mlx_array_new(); V[l] = mlx_array_new();
            mlx_array_set(&K[l], newK[l]);
            mlx_array_set(&V[l], newV[l]);
        }
        free(newK);
        free(newV);
        free_step();
        double t = now_ms() - t0;
        if (step == -1 && given >= 0) fprintf(stderr, "logits of token %d at position %d: %.6f %.6f %.6f %.6f\n", token, pos, logits[0], logits[1], logits[2], logits[3]);
        if (step >= 0) {
            ms[step] = t;
            printf("step %d (kv %d): %.2f ms\n", step, pos + 1, t);
        }
    }
    qsort(ms, steps, sizeof(double), cmp);
    double median = steps % 2 ? ms[steps / 2] : (ms[steps / 2 - 1] + ms[steps / 2]) / 2;
    printf("{\"tool\": \"mlx_ref\", \"test\": \"step@%d\", \"steps\": %d, \"median_ms\": %.3f, \"logit0\": %g}\n", ctx, steps, median, logits[0]);
    return 0;
}
