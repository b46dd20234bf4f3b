/* Dao's causal_conv1d_update against ref_causal_conv1d_update (linear and circular buffers, slot
 * indices with negative and out-of-range entries, any width), and run token by token or chunk by
 * chunk against the full causal conv (ref_causal_conv1d) with the state carried on the GPU. */
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "reference/reference.h"
#include "views.h"

typedef struct update_case {
    int64_t batch, dim, len, width, state_len, slots;
    int rank; /* 2: x (B, D), one token */
    int bias, circular, indices;
    subq_activation activation;
    int channels_inner; /* conv_state stored (slots, S, D), as vLLM keeps it */
} update_case;

static void describe(const update_case *k, const char *what, char *buf, size_t size)
{
    snprintf(buf, size, "causal_conv1d_update %s B=%lld D=%lld L=%lld%s W=%lld S=%lld slots=%lld%s%s%s%s%s", what,
             (long long)k->batch, (long long)k->dim, (long long)k->len, k->rank == 2 ? " (rank 2)" : "",
             (long long)k->width, (long long)k->state_len, (long long)k->slots, k->bias ? " bias" : "",
             k->circular ? " circular" : " linear", k->indices ? " indices" : "",
             k->activation == SUBQ_ACTIVATION_SILU ? " silu" : "", k->channels_inner ? " channels-inner" : "");
}

static ref_activation ref_act(const update_case *k)
{
    return k->activation == SUBQ_ACTIVATION_SILU ? REF_ACT_SILU : REF_ACT_NONE;
}

static void state_layout(check_view *v, const update_case *k)
{
    static const int channels_inner[3] = {0, 2, 1};
    check_view_layout(v, 3, (int64_t[]){k->slots, k->dim, k->state_len}, k->channels_inner ? channels_inner : NULL,
                      1, 0);
}

/* Slots in random order; some rows get -1 or an index past the last slot (both: zeros, no write). */
static void random_indices(checker *c, const update_case *k, int32_t *gpu, int32_t *ref)
{
    for (int64_t b = 0; b < k->batch; b++) gpu[b] = (int32_t)(k->slots - 1 - b);
    for (int64_t b = k->batch - 1; b > 0; b--) {
        int64_t j = check_random_int(c, 0, b);
        int32_t t = gpu[b];
        gpu[b] = gpu[j];
        gpu[j] = t;
    }
    for (int64_t b = 0; b < k->batch; b++) {
        int64_t roll = check_random_int(c, 0, 5);
        if (roll == 0) gpu[b] = -1;
        if (roll == 1) gpu[b] = (int32_t)(k->slots + check_random_int(c, 0, 3));
        ref[b] = gpu[b] < k->slots ? gpu[b] : -1;
    }
}

/* One call against the reference: outputs and the whole state afterwards. */
static void run_direct(checker *c, update_case k)
{
    char label[256];
    describe(&k, "direct", label, sizeof label);
    int64_t rows = k.batch * k.dim, n = rows * k.len, state_n = k.slots * k.dim * k.state_len;
    double *x = check_alloc((size_t)n), *w = check_alloc((size_t)(k.dim * k.width)), *bias = check_alloc((size_t)k.dim);
    double *state = check_alloc((size_t)state_n), *want = check_alloc((size_t)n);
    int32_t cache[64], indices[64], ref_indices[64];
    check_random(c, x, (size_t)n);
    check_random(c, w, (size_t)(k.dim * k.width));
    check_random(c, bias, (size_t)k.dim);
    check_random(c, state, (size_t)state_n);
    for (int64_t b = 0; b < k.batch; b++) cache[b] = (int32_t)check_random_int(c, -3 * k.state_len, 3 * k.state_len);
    random_indices(c, &k, indices, ref_indices);

    check_view tx, out, tstate;
    int64_t x_shape[3] = {k.batch, k.dim, k.len};
    check_view_layout(&tx, k.rank, x_shape, NULL, 2, 1);
    check_view_layout(&out, k.rank, x_shape, NULL, 1, 0);
    state_layout(&tstate, &k);
    bool ready = check_view_upload(c, label, &tx, x) && check_view_upload(c, label, &out, NULL) &&
                 check_view_upload(c, label, &tstate, state);
    ref_causal_conv1d_update(x, state, w, k.bias ? bias : NULL, k.circular ? cache : NULL,
                             k.indices ? ref_indices : NULL, want, ref_act(&k), k.batch, k.dim, k.len, k.width,
                             k.state_len);
    subq_tensor *tw = check_upload(c, label, 2, (int64_t[]){k.dim, k.width}, w);
    subq_tensor *tb = k.bias ? check_upload(c, label, 1, &k.dim, bias) : NULL;
    subq_tensor *tc = k.circular ? check_upload_i32(c, label, 1, &k.batch, cache) : NULL;
    subq_tensor *ti = k.indices ? check_upload_i32(c, label, 1, &k.batch, indices) : NULL;
    subq_causal_conv1d_update_options options = {.activation = k.activation};
    if (ready && tw && (tb || !k.bias) && (tc || !k.circular) && (ti || !k.indices) &&
        check_ok(c, label, subq_causal_conv1d_update(c->stream, tx.view, tstate.view, tw, tb, tc, ti, &options,
                                                     out.view)) &&
        check_ok(c, label, subq_stream_wait(c->stream))) {
        check_view_close(c, label, &out, want, 1e-5);
        check_view_close(c, label, &tstate, state, 1e-5);
    }
    check_view_release(&tx);
    check_view_release(&out);
    check_view_release(&tstate);
    subq_tensor_destroy(tw);
    subq_tensor_destroy(tb);
    subq_tensor_destroy(tc);
    subq_tensor_destroy(ti);
    free(x);
    free(w);
    free(bias);
    free(state);
    free(want);
}

static void direct_grid(checker *c)
{
    const int64_t widths[] = {1, 2, 3, 4, 5, 6, 7, 8, 16};
    for (size_t wi = 0; wi < sizeof widths / sizeof *widths; wi++)
        for (int v = 0; v < 3; v++) {
            int64_t w = widths[wi], s = (w > 1 ? w - 1 : 1) + (v ? check_random_int(c, 0, 4) : 0);
            int64_t batch = check_random_int(c, 1, 4);
            int64_t lengths[3] = {1, check_random_int(c, 2, 4), s + check_random_int(c, 1, 3)};
            run_direct(c, (update_case){.batch = batch, .dim = check_random_int(c, 1, 33), .len = lengths[v],
                                        .width = w, .state_len = s, .slots = batch + v, .rank = v == 0 ? 2 : 3,
                                        .bias = v != 1, .circular = (int)((wi + v) % 2), .indices = v > 0,
                                        .activation = (wi + v) % 2 ? SUBQ_ACTIVATION_SILU : SUBQ_ACTIVATION_NONE,
                                        .channels_inner = v == 2});
        }
}

/* The state column where the window's k-th state column sits before any token (origin) or after
 * all L of them: the linear buffer keeps it at the end, the circular one moves it on by L. */
static int64_t window_column(const update_case *k, int64_t cache, int64_t k_col, int64_t tokens_done)
{
    if (!k->circular) return k->state_len - (k->width - 1) + k_col;
    return ref_floor_mod(cache + tokens_done - (k->width - 1) + k_col, k->state_len);
}

typedef struct stepped {
    double *x, *w, *bias, *init, *state, *want, *want_final;
    int32_t *cache; /* (L, B): row t holds cache_seqlens for step t */
} stepped;

/* Fill the state so that its window holds init, everything else random. */
static void make_stepped(checker *c, const update_case *k, stepped *s)
{
    int64_t rows = k->batch * k->dim, n = rows * k->len, cols = k->width - 1;
    s->x = check_alloc((size_t)n);
    s->w = check_alloc((size_t)(k->dim * k->width));
    s->bias = check_alloc((size_t)k->dim);
    s->init = check_alloc((size_t)(rows * cols));
    s->state = check_alloc((size_t)(rows * k->state_len));
    s->want = check_alloc((size_t)n);
    s->want_final = check_alloc((size_t)(rows * cols));
    s->cache = calloc((size_t)(k->len * k->batch), sizeof *s->cache);
    if (!s->cache) exit(2);
    check_random(c, s->x, (size_t)n);
    check_random(c, s->w, (size_t)(k->dim * k->width));
    check_random(c, s->bias, (size_t)k->dim);
    check_random(c, s->init, (size_t)(rows * cols));
    check_random(c, s->state, (size_t)(rows * k->state_len));
    for (int64_t b = 0; b < k->batch; b++) {
        int32_t cache0 = (int32_t)check_random_int(c, 0, 2 * k->state_len);
        for (int64_t t = 0; t < k->len; t++) s->cache[t * k->batch + b] = cache0 + (int32_t)t;
        for (int64_t ch = 0; ch < k->dim; ch++)
            for (int64_t j = 0; j < cols; j++)
                s->state[(b * k->dim + ch) * k->state_len + window_column(k, cache0, j, 0)] =
                    s->init[(b * k->dim + ch) * cols + j];
    }
    ref_causal_conv1d(s->x, s->w, k->bias ? s->bias : NULL, NULL, cols ? s->init : NULL, cols ? s->want_final : NULL,
                      s->want, ref_act(k), k->batch, k->dim, k->len, k->width);
}

static void free_stepped(stepped *s)
{
    free(s->x);
    free(s->w);
    free(s->bias);
    free(s->init);
    free(s->state);
    free(s->want);
    free(s->want_final);
    free(s->cache);
}

/* After all steps the window of every row must hold the full conv's final states. */
static void check_final_window(checker *c, const char *label, const update_case *k, const stepped *s,
                               const subq_tensor *state)
{
    int64_t rows = k->batch * k->dim, cols = k->width - 1;
    float *got_state = malloc((size_t)(rows * k->state_len) * sizeof *got_state);
    float *got = malloc((size_t)(rows * cols + 1) * sizeof *got);
    if (!got_state || !got) exit(2);
    if (check_ok(c, label, subq_tensor_download(state, got_state, (size_t)(rows * k->state_len) * sizeof *got_state))) {
        for (int64_t r = 0; r < rows; r++)
            for (int64_t j = 0; j < cols; j++)
                got[r * cols + j] = got_state[r * k->state_len + window_column(k, s->cache[r / k->dim], j, k->len)];
        check_close_values(c, label, got, s->want_final, (size_t)(rows * cols), 1e-5);
    }
    free(got_state);
    free(got);
}

/* chunk == 1: one update per token, through (B, D) views of channels-first x and out; the stream
 * holds every step, so the state's read-after-write between steps rides on its barriers. */
static void run_stepped(checker *c, update_case k, int64_t chunk)
{
    char label[256], what[32];
    snprintf(what, sizeof what, "chunks of %lld", (long long)chunk);
    describe(&k, what, label, sizeof label);
    stepped s;
    make_stepped(c, &k, &s);
    int64_t x_shape[3] = {k.batch, k.dim, k.len};
    subq_tensor *x = check_upload(c, label, 3, x_shape, s.x);
    subq_tensor *out = check_poisoned(c, label, 3, x_shape);
    subq_tensor *state = check_upload(c, label, 3, (int64_t[]){k.batch, k.dim, k.state_len}, s.state);
    subq_tensor *w = check_upload(c, label, 2, (int64_t[]){k.dim, k.width}, s.w);
    subq_tensor *bias = check_upload(c, label, 1, &k.dim, s.bias);
    subq_tensor *cache = check_upload_i32(c, label, 2, (int64_t[]){k.len, k.batch}, s.cache);
    subq_causal_conv1d_update_options options = {.activation = k.activation};
    bool ok = x && out && state && w && bias && cache;
    for (int64_t t = 0; ok && t < k.len; t += chunk) {
        int64_t n = k.len - t < chunk ? k.len - t : chunk, strides[3] = {k.dim * k.len, k.len, 1};
        int rank = chunk == 1 ? 2 : 3;
        subq_tensor *xt = NULL, *yt = NULL, *ct = NULL;
        ok = check_ok(c, label, subq_tensor_view(x, t, rank, (int64_t[]){k.batch, k.dim, n}, strides, &xt)) &&
             check_ok(c, label, subq_tensor_view(out, t, rank, (int64_t[]){k.batch, k.dim, n}, strides, &yt)) &&
             check_ok(c, label, subq_tensor_view(cache, t * k.batch, 1, &k.batch, NULL, &ct)) &&
             check_ok(c, label, subq_causal_conv1d_update(c->stream, xt, state, w, k.bias ? bias : NULL,
                                                          k.circular ? ct : NULL, NULL, &options, yt));
        subq_tensor_destroy(xt);
        subq_tensor_destroy(yt);
        subq_tensor_destroy(ct);
    }
    if (ok && check_ok(c, label, subq_stream_wait(c->stream))) {
        check_close(c, label, out, s.want, (size_t)(k.batch * k.dim * k.len), 1e-5);
        if (k.width > 1) check_final_window(c, label, &k, &s, state);
    }
    subq_tensor_destroy(x);
    subq_tensor_destroy(out);
    subq_tensor_destroy(state);
    subq_tensor_destroy(w);
    subq_tensor_destroy(bias);
    subq_tensor_destroy(cache);
    free_stepped(&s);
}

static void stepped_grid(checker *c)
{
    const int64_t widths[] = {1, 2, 4, 7, 16};
    for (size_t wi = 0; wi < sizeof widths / sizeof *widths; wi++)
        for (int circular = 0; circular < 2; circular++) {
            int64_t w = widths[wi];
            update_case k = {.batch = check_random_int(c, 1, 3), .dim = check_random_int(c, 1, 24),
                             .len = check_random_int(c, 1, 3 * w + 4), .width = w,
                             .state_len = (w > 1 ? w - 1 : 1) + check_random_int(c, 0, 3), .rank = 3,
                             .bias = circular, .circular = circular, .activation = (subq_activation)(wi % 2)};
            k.slots = k.batch;
            run_stepped(c, k, 1);
            run_stepped(c, k, check_random_int(c, 2, 5));
        }
}

void check_causal_conv1d_update(checker *c)
{
    direct_grid(c);
    stepped_grid(c);
}
