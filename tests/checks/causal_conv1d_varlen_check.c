/* Megatron's varlen causal conv1d and carry_states against the references: widths 1-8 and 16,
 * request lengths 0, 1, shorter than the state and long, with and without states and bias,
 * cu_seqlens checked by download or host copy or replaced by precomputed arrays with padding
 * tokens, x and out as dense, padded-row and token-minor views. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "reference/reference.h"
#include "views.h"

#define MAX_REQUESTS 64

typedef enum cu_mode { CU_DOWNLOAD, CU_HOST, CU_PRECOMPUTED } cu_mode;

typedef struct varlen_case {
    int64_t dim, width;
    int64_t requests;
    int32_t lengths[MAX_REQUESTS];
    int64_t padding; /* tokens after the last request; precomputed arrays only */
    cu_mode mode;
    int bias, init;
    int layout, out_layout; /* 0: dense; 1: padded rows, unaligned start; 2: token-minor (D, T) */
    int in_place_carry;
} varlen_case;

typedef struct varlen_data {
    int64_t tokens;
    int32_t cu[MAX_REQUESTS + 1];
    int32_t *seq_idx, *seq_start;
    double *x, *weight, *bias, *init, *prev;
} varlen_data;

static void describe(const varlen_case *k, char *buf, size_t size)
{
    static const char *modes[] = {"download", "host", "precomputed"};
    int used = snprintf(buf, size, "varlen D=%lld W=%lld R=%lld pad=%lld %s layouts=%d,%d%s%s lengths",
                        (long long)k->dim, (long long)k->width, (long long)k->requests, (long long)k->padding,
                        modes[k->mode], k->layout, k->out_layout,
                        k->bias ? " bias" : "", k->init ? " init" : "");
    for (int64_t r = 0; r < k->requests && r < 8 && used < (int)size; r++)
        used += snprintf(buf + used, size - (size_t)used, " %d", k->lengths[r]);
}

static void make_data(checker *c, const varlen_case *k, varlen_data *d)
{
    d->cu[0] = 0;
    for (int64_t r = 0; r < k->requests; r++) d->cu[r + 1] = d->cu[r] + k->lengths[r];
    d->tokens = d->cu[k->requests] + k->padding;
    size_t t = (size_t)d->tokens, dim = (size_t)k->dim, width = (size_t)k->width;
    d->seq_idx = calloc(t, sizeof *d->seq_idx); /* padding tokens keep the sentinel 0, 0 */
    d->seq_start = calloc(t, sizeof *d->seq_start);
    if (!d->seq_idx || !d->seq_start) exit(2);
    for (int64_t r = 0; r < k->requests; r++)
        for (int32_t i = d->cu[r]; i < d->cu[r + 1]; i++) {
            d->seq_idx[i] = (int32_t)r;
            d->seq_start[i] = d->cu[r];
        }
    size_t states = (size_t)k->requests * dim;
    d->x = check_alloc(t * dim);
    d->weight = check_alloc(dim * width);
    d->bias = check_alloc(dim);
    d->init = check_alloc(states * (width - 1));
    d->prev = check_alloc(states * width);
    check_random(c, d->x, t * dim);
    check_random(c, d->weight, dim * width);
    check_random(c, d->bias, dim);
    check_random(c, d->init, states * (width - 1));
    check_random(c, d->prev, states * width);
}

static void free_data(varlen_data *d)
{
    free(d->seq_idx);
    free(d->seq_start);
    free(d->x);
    free(d->weight);
    free(d->bias);
    free(d->init);
    free(d->prev);
}

/* x and out share a layout kind; states are (R, W-1, D) in memory for the strided kinds. */
static void token_layout(check_view *v, int layout, int64_t tokens, int64_t dim)
{
    static const int token_minor[2] = {1, 0};
    int64_t shape[2] = {tokens, dim};
    if (layout == 0) check_view_layout(v, 2, shape, NULL, 0, 0);
    else if (layout == 1) check_view_layout(v, 2, shape, NULL, 3, 5);
    else check_view_layout(v, 2, shape, token_minor, 1, 0);
}

static void state_layout(check_view *v, int layout, int64_t requests, int64_t dim, int64_t cols)
{
    static const int cols_outer[3] = {0, 2, 1};
    int64_t shape[3] = {requests, dim, cols};
    check_view_layout(v, 3, shape, layout ? cols_outer : NULL, layout, 0);
}

/* The requests' tokens without the padding after them: carry_states wants cu_seqlens to end at T. */
static subq_tensor *request_tokens(checker *c, const char *label, const subq_tensor *x, int64_t tokens)
{
    subq_tensor *view = NULL;
    int64_t shape[2] = {tokens, subq_tensor_dim(x, 1)};
    int64_t strides[2] = {subq_tensor_stride(x, 0), subq_tensor_stride(x, 1)};
    check_ok(c, label, subq_tensor_view(x, 0, 2, shape, strides, &view));
    return view;
}

static void check_carry(checker *c, const char *label, const varlen_case *k, const varlen_data *d,
                        const subq_tensor *x, const subq_tensor *cu)
{
    double *want = check_alloc((size_t)(k->requests * k->dim * k->width));
    ref_causal_conv1d_varlen_carry_states(d->x, d->cu, d->prev, want, k->dim, k->width, k->requests);
    check_view prev = {0}, next = {0};
    state_layout(&prev, k->layout, k->requests, k->dim, k->width);
    state_layout(&next, (k->layout + 1) % 3, k->requests, k->dim, k->width);
    subq_tensor *x_real = request_tokens(c, label, x, d->tokens - k->padding);
    subq_causal_conv1d_varlen_options options = {.host_cu_seqlens = k->mode == CU_HOST ? d->cu : NULL};
    const check_view *result = k->in_place_carry ? &prev : &next;
    if (x_real && check_view_upload(c, label, &prev, d->prev) &&
        (k->in_place_carry || check_view_upload(c, label, &next, NULL)) &&
        check_ok(c, label, subq_causal_conv1d_varlen_carry_states(c->stream, x_real, cu, prev.view, &options,
                                                                  result->view)) &&
        check_ok(c, label, subq_stream_wait(c->stream)))
        check_view_close(c, label, result, want, 1e-5);
    subq_tensor_destroy(x_real);
    check_view_release(&prev);
    check_view_release(&next);
    free(want);
}

static void run_case(checker *c, const varlen_case *k)
{
    char label[256], carry_label[300];
    describe(k, label, sizeof label);
    snprintf(carry_label, sizeof carry_label, "%s carry%s", label, k->in_place_carry ? " in place" : "");
    varlen_data d;
    make_data(c, k, &d);
    bool pre = k->mode == CU_PRECOMPUTED, init = k->init && k->width > 1;
    double *want = check_alloc((size_t)(d.tokens * k->dim));
    ref_causal_conv1d_varlen(d.x, d.weight, k->bias ? d.bias : NULL, d.cu, init ? d.init : NULL,
                             pre ? d.seq_idx : NULL, pre ? d.seq_start : NULL, want, d.tokens, k->dim, k->width,
                             k->requests);
    check_view x = {0}, out = {0}, states = {0};
    token_layout(&x, k->layout, d.tokens, k->dim);
    token_layout(&out, k->out_layout, d.tokens, k->dim);
    state_layout(&states, k->layout, k->requests, k->dim, k->width - 1);
    int64_t cu_len = k->requests + 1;
    subq_tensor *w = check_upload(c, label, 2, (int64_t[]){k->dim, k->width}, d.weight);
    subq_tensor *bias = k->bias ? check_upload(c, label, 1, &k->dim, d.bias) : NULL;
    subq_tensor *cu = check_upload_i32(c, label, 1, &cu_len, d.cu);
    subq_tensor *seq_idx = pre ? check_upload_i32(c, label, 1, &d.tokens, d.seq_idx) : NULL;
    subq_tensor *seq_start = pre ? check_upload_i32(c, label, 1, &d.tokens, d.seq_start) : NULL;
    subq_causal_conv1d_varlen_options options = {.host_cu_seqlens = k->mode == CU_HOST ? d.cu : NULL};
    bool ready = w && cu && (bias || !k->bias) && ((seq_idx && seq_start) || !pre) &&
                 check_view_upload(c, label, &x, d.x) && check_view_upload(c, label, &out, NULL) &&
                 (!init || check_view_upload(c, label, &states, d.init));
    if (ready &&
        check_ok(c, label, subq_causal_conv1d_varlen(c->stream, x.view, w, bias, cu, states.view, seq_idx,
                                                     seq_start, &options, out.view)) &&
        check_ok(c, label, subq_stream_wait(c->stream))) {
        check_view_close(c, label, &out, want, 1e-5);
        check_carry(c, carry_label, k, &d, x.view, cu);
    }
    check_view_release(&x);
    check_view_release(&out);
    check_view_release(&states);
    subq_tensor_destroy(w);
    subq_tensor_destroy(bias);
    subq_tensor_destroy(cu);
    subq_tensor_destroy(seq_idx);
    subq_tensor_destroy(seq_start);
    free(want);
    free_data(&d);
}

/* Lengths that hit every boundary: empty, one token, shorter than the state, medium, long. */
static void random_lengths(checker *c, varlen_case *k, int64_t requests, int64_t long_len)
{
    k->requests = requests;
    int64_t total = 0;
    for (int64_t r = 0; r < requests; r++) {
        switch (check_random_int(c, 0, 4)) {
        case 0: k->lengths[r] = 0; break;
        case 1: k->lengths[r] = 1; break;
        case 2: k->lengths[r] = (int32_t)check_random_int(c, 1, k->width > 2 ? k->width - 2 : 1); break;
        case 3: k->lengths[r] = (int32_t)check_random_int(c, 2, 40); break;
        default: k->lengths[r] = (int32_t)check_random_int(c, long_len / 2, long_len); break;
        }
        total += k->lengths[r];
    }
    if (total == 0) k->lengths[requests - 1] = 1;
}

static void grid(checker *c)
{
    const int64_t widths[] = {1, 2, 3, 4, 5, 6, 7, 8, 16};
    for (size_t wi = 0; wi < sizeof widths / sizeof *widths; wi++)
        for (int v = 0; v < 3; v++) {
            varlen_case k = {.dim = check_random_int(c, 1, 70), .width = widths[wi], .mode = (cu_mode)v,
                             .bias = (int)((wi + v) % 2), .init = v != 1 || wi % 2, .layout = (int)((wi + v) % 3),
                             .out_layout = (int)((wi + v + 2) % 3),
                             .in_place_carry = (int)((wi + v) % 2)};
            random_lengths(c, &k, check_random_int(c, 1, 6), c->quick ? 60 : 300);
            if (k.mode == CU_PRECOMPUTED) k.padding = check_random_int(c, 0, 5);
            run_case(c, &k);
        }
}

/* Many short requests, as in a decode-heavy batch. */
static void many_requests(checker *c)
{
    varlen_case k = {.dim = 40, .width = 4, .mode = CU_HOST, .bias = 1, .init = 1, .layout = 1};
    random_lengths(c, &k, MAX_REQUESTS, 12);
    run_case(c, &k);
}

/* What the shader promises for indices no caller should pass: a tap at or after seq_start reads x
 * (0 outside [0, T)), one before it the state column (W-1) - (s - src) when that column exists
 * and seq_idx is a request, else 0. Never anything outside the tensors. */
static double garbage_tap(const varlen_case *k, const varlen_data *d, int64_t src, int64_t ch, int64_t r,
                          int64_t s)
{
    if (src >= s) return src >= 0 && src < d->tokens ? d->x[src * k->dim + ch] : 0.0;
    int64_t col = (k->width - 1) - (s - src);
    if (r < 0 || r >= k->requests || col < 0) return 0.0;
    return d->init[(r * k->dim + ch) * (k->width - 1) + col];
}

static void garbage_precomputed(checker *c)
{
    varlen_case k = {.dim = 5, .width = 4, .mode = CU_PRECOMPUTED, .init = 1, .layout = 1, .out_layout = 2,
                     .requests = 3, .lengths = {6, 0, 150}};
    char label[] = "varlen garbage precomputed arrays stay in bounds";
    varlen_data d;
    make_data(c, &k, &d);
    /* Most starts stay at or W-1 before their token (some negative, some sane), so that whole tiles
     * of garbage take the shader's fast path too; a few are anything. */
    for (int64_t t = 0; t < d.tokens; t++) {
        d.seq_idx[t] = (int32_t)check_random_int(c, -3, k.requests + 3);
        int64_t kind = check_random_int(c, 0, 15);
        if (kind == 0) d.seq_start[t] = (int32_t)check_random_int(c, -5, d.tokens + 5);
        else if (kind <= 4) d.seq_start[t] = (int32_t)check_random_int(c, -5, t - (k.width - 1));
    }
    double *want = check_alloc((size_t)(d.tokens * k.dim));
    for (int64_t t = 0; t < d.tokens; t++)
        for (int64_t ch = 0; ch < k.dim; ch++) {
            double acc = 0.0;
            for (int64_t j = 0; j < k.width; j++)
                acc += d.weight[ch * k.width + j] *
                       garbage_tap(&k, &d, t - (k.width - 1) + j, ch, d.seq_idx[t], d.seq_start[t]);
            want[t * k.dim + ch] = acc / (1.0 + exp(-acc));
        }
    check_view x = {0}, out = {0}, states = {0};
    token_layout(&x, k.layout, d.tokens, k.dim);
    token_layout(&out, k.out_layout, d.tokens, k.dim);
    state_layout(&states, 1, k.requests, k.dim, k.width - 1);
    int64_t cu_len = k.requests + 1;
    subq_tensor *w = check_upload(c, label, 2, (int64_t[]){k.dim, k.width}, d.weight);
    subq_tensor *cu = check_upload_i32(c, label, 1, &cu_len, d.cu);
    subq_tensor *seq_idx = check_upload_i32(c, label, 1, &d.tokens, d.seq_idx);
    subq_tensor *seq_start = check_upload_i32(c, label, 1, &d.tokens, d.seq_start);
    if (w && cu && seq_idx && seq_start && check_view_upload(c, label, &x, d.x) &&
        check_view_upload(c, label, &out, NULL) && check_view_upload(c, label, &states, d.init) &&
        check_ok(c, label, subq_causal_conv1d_varlen(c->stream, x.view, w, NULL, cu, states.view, seq_idx, seq_start,
                                                     NULL, out.view)) &&
        check_ok(c, label, subq_stream_wait(c->stream)))
        check_view_close(c, label, &out, want, 1e-5);
    check_view_release(&x);
    check_view_release(&out);
    check_view_release(&states);
    subq_tensor_destroy(w);
    subq_tensor_destroy(cu);
    subq_tensor_destroy(seq_idx);
    subq_tensor_destroy(seq_start);
    free(want);
    free_data(&d);
}

/* x and out span the most one binding allows (maxStorageBufferRange), bounded for big GPUs. */
static void largest(checker *c)
{
    int64_t elements = check_largest_binding(c);
    if (!elements) return;
    varlen_case k = {.dim = 64, .width = 4, .mode = CU_DOWNLOAD, .bias = 1, .init = 1, .requests = MAX_REQUESTS};
    int64_t tokens = elements / k.dim, share = tokens / MAX_REQUESTS;
    for (int r = 0; r < MAX_REQUESTS; r++)
        k.lengths[r] = (int32_t)(r + 1 < MAX_REQUESTS ? check_random_int(c, share / 2, share) : 0);
    int64_t used = 0;
    for (int r = 0; r < MAX_REQUESTS; r++) used += k.lengths[r];
    k.lengths[MAX_REQUESTS - 1] = (int32_t)(tokens - used);
    run_case(c, &k);
}

void check_causal_conv1d_varlen(checker *c)
{
    grid(c);
    many_requests(c);
    garbage_precomputed(c);
    largest(c);
}
