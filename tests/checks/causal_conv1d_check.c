/* Dao's causal_conv1d_fn against ref_causal_conv1d: widths 1-8 and 16, lengths shorter than the
 * state to several shader tiles, seq_idx segments (negative ones included) together with initial
 * states, final states, bias, both activations, channels-first and channels-last views. */
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "reference/reference.h"
#include "views.h"

typedef struct conv_case {
    int64_t batch, dim, len, width;
    int bias, init, final_states, seq;
    subq_activation activation;
    int channels_last; /* x and out: (B, L, D) storage seen as (B, D, L), states (B, W-1, D) */
} conv_case;

static void describe(const conv_case *k, char *buf, size_t size)
{
    snprintf(buf, size, "causal_conv1d B=%lld D=%lld L=%lld W=%lld%s%s%s%s%s%s", (long long)k->batch,
             (long long)k->dim, (long long)k->len, (long long)k->width, k->bias ? " bias" : "",
             k->init ? " init" : "", k->final_states ? " final" : "", k->seq ? " seq_idx" : "",
             k->activation == SUBQ_ACTIVATION_SILU ? " silu" : "", k->channels_last ? " channels-last" : "");
}

/* Segments of random length with rising ids; some are negative (outputs 0). */
static void random_segments(checker *c, int32_t *seq, int64_t batch, int64_t len)
{
    for (int64_t b = 0; b < batch; b++) {
        int32_t id = (int32_t)check_random_int(c, -1, 2);
        for (int64_t t = 0; t < len; t++) {
            if (t > 0 && check_random_int(c, 0, 5) == 0) id = check_random_int(c, 0, 4) == 0 ? -1 : abs(id) + 1;
            seq[b * len + t] = id;
        }
    }
}

/* Channels-first views are offset and have padded rows; channels-last ones are permuted. */
static void layout(check_view *v, const conv_case *k, int64_t cols, int64_t offset)
{
    static const int channels_inner[3] = {0, 2, 1};
    int64_t shape[3] = {k->batch, k->dim, cols};
    if (k->channels_last) check_view_layout(v, 3, shape, channels_inner, offset, 0);
    else check_view_layout(v, 3, shape, NULL, offset, offset);
}

typedef struct conv_data {
    double *x, *weight, *bias, *init, *want, *want_final;
    int32_t *seq;
} conv_data;

static void make_data(checker *c, const conv_case *k, conv_data *d)
{
    size_t n = (size_t)(k->batch * k->dim * k->len), states = (size_t)(k->batch * k->dim * (k->width - 1));
    d->x = check_alloc(n);
    d->weight = check_alloc((size_t)(k->dim * k->width));
    d->bias = check_alloc((size_t)k->dim);
    d->init = check_alloc(states);
    d->want = check_alloc(n);
    d->want_final = check_alloc(states);
    d->seq = calloc(n / (size_t)k->dim, sizeof *d->seq);
    if (!d->seq) exit(2);
    check_random(c, d->x, n);
    check_random(c, d->weight, (size_t)(k->dim * k->width));
    check_random(c, d->bias, (size_t)k->dim);
    check_random(c, d->init, states);
    random_segments(c, d->seq, k->batch, k->len);
    ref_causal_conv1d(d->x, d->weight, k->bias ? d->bias : NULL, k->seq ? d->seq : NULL, k->init ? d->init : NULL,
                      k->final_states ? d->want_final : NULL, d->want,
                      k->activation == SUBQ_ACTIVATION_SILU ? REF_ACT_SILU : REF_ACT_NONE, k->batch, k->dim, k->len,
                      k->width);
}

static void free_data(conv_data *d)
{
    free(d->x);
    free(d->weight);
    free(d->bias);
    free(d->init);
    free(d->want);
    free(d->want_final);
    free(d->seq);
}

static void run_case(checker *c, conv_case k)
{
    if (k.width == 1) k.init = k.final_states = 0; /* no state exists */
    char label[256];
    describe(&k, label, sizeof label);
    conv_data d;
    make_data(c, &k, &d);
    check_view x, out, init, final_states;
    layout(&x, &k, k.len, 1);
    layout(&out, &k, k.len, 2);
    layout(&init, &k, k.width - 1, 3);
    layout(&final_states, &k, k.width - 1, 1);
    subq_tensor *w = check_upload(c, label, 2, (int64_t[]){k.dim, k.width}, d.weight);
    subq_tensor *bias = k.bias ? check_upload(c, label, 1, &k.dim, d.bias) : NULL;
    subq_tensor *seq = k.seq ? check_upload_i32(c, label, 2, (int64_t[]){k.batch, k.len}, d.seq) : NULL;
    subq_causal_conv1d_options options = {.activation = k.activation};
    bool ready = w && (bias || !k.bias) && (seq || !k.seq) && check_view_upload(c, label, &x, d.x) &&
                 check_view_upload(c, label, &out, NULL) && (!k.init || check_view_upload(c, label, &init, d.init)) &&
                 (!k.final_states || check_view_upload(c, label, &final_states, NULL));
    if (ready &&
        check_ok(c, label, subq_causal_conv1d(c->stream, x.view, w, bias, seq, init.view, &options, out.view,
                                              final_states.view)) &&
        check_ok(c, label, subq_stream_wait(c->stream))) {
        check_view_close(c, label, &out, d.want, 1e-5);
        if (k.final_states) check_view_close(c, label, &final_states, d.want_final, 1e-5);
    }
    check_view_release(&x);
    check_view_release(&out);
    check_view_release(&init);
    check_view_release(&final_states);
    subq_tensor_destroy(w);
    subq_tensor_destroy(bias);
    subq_tensor_destroy(seq);
    free_data(&d);
}

static void grid(checker *c)
{
    const int64_t widths[] = {1, 2, 3, 4, 5, 6, 7, 8, 16};
    for (size_t wi = 0; wi < sizeof widths / sizeof *widths; wi++) {
        int64_t w = widths[wi];
        const int64_t lengths[4] = {check_random_int(c, 1, w > 2 ? w - 2 : 1), check_random_int(c, 2, 40),
                                    check_random_int(c, c->quick ? 60 : 200, c->quick ? 100 : 400),
                                    check_random_int(c, 1, 20)};
        for (int v = 0; v < 4; v++)
            run_case(c, (conv_case){.batch = check_random_int(c, 1, 3), .dim = check_random_int(c, 1, 40),
                                    .len = lengths[v], .width = w, .bias = v != 1, .init = v != 2,
                                    .final_states = v != 3, .seq = v == 1 || v == 2,
                                    .activation = v % 2 ? SUBQ_ACTIVATION_NONE : SUBQ_ACTIVATION_SILU,
                                    .channels_last = (int)((wi + v) % 2)});
    }
}

/* Channels-first rows longer than one workgroup's tile: segments and states across tiles. */
static void long_rows(checker *c)
{
    const int64_t widths[] = {4, 16};
    for (int i = 0; i < 2; i++)
        run_case(c, (conv_case){.batch = 2, .dim = 3, .len = check_random_int(c, 1025, 3000), .width = widths[i],
                                .bias = 1, .init = 1, .final_states = 1, .seq = i == 0,
                                .activation = SUBQ_ACTIVATION_SILU});
}

/* x and out span the most one binding allows (maxStorageBufferRange), bounded for big GPUs. */
static void largest(checker *c)
{
    int64_t elements = check_largest_binding(c);
    if (!elements) return;
    /* layout() starts x one element in and pads rows by one: leave room for both. */
    int64_t len = (elements - 8) / 4 - 1;
    run_case(c, (conv_case){.batch = 1, .dim = 4, .len = len, .width = 4, .bias = 1, .init = 1, .final_states = 1,
                            .seq = 0, .activation = SUBQ_ACTIVATION_SILU});
}

void check_causal_conv1d(checker *c)
{
    grid(c);
    long_rows(c);
    largest(c);
}
