/* Hyena's forward (SPEC.md section 3) on channels-last [B, *S, C]:
 *   short conv over cat(q, k, v)  -> X [B, 3C, *S] channels-first (the layout change rides on it)
 *   QK norm, z = pixelhyena_norm(q * gate(k))  -> Z [B, C, *S]
 *   h = CKConvND(z)  -> H [B, C, *S]
 *   out = output_norm(h * gate_2(v)) written channels-last (one pass, also the layout change).
 * Without a PixelHyena norm and with the short conv, z is not stored: the FFT conv reads
 * pre = q and x = gate(k) and forms the product itself. */
#include "modules/hyena_module.h"
#include "runtime/args.h"

static subq_norm_options norm_options(subq_hyena_norm kind, subq_layout layout)
{
    subq_norm_kind kinds[] = {SUBQ_NORM_RMS, SUBQ_NORM_RMS, SUBQ_NORM_LAYER, SUBQ_NORM_L2};
    return (subq_norm_options){.kind = kinds[kind], .layout = layout, .gate_position = SUBQ_GATE_BEFORE};
}

subq_status subq_hyena_gated(subq_stream *stream, const hyena_norm *norm, subq_layout layout, const subq_tensor *a,
                             const subq_tensor *b, subq_activation activation, subq_tensor *y)
{
    if (norm->kind == SUBQ_HYENA_NORM_NONE) return subq_gate(stream, a, b, activation, y);
    subq_norm_options o = norm_options(norm->kind, layout);
    return subq_gated_norm(stream, a, b, activation, norm->weight, norm->bias, &o, y);
}

subq_status subq_hyena_normalize(subq_stream *stream, const hyena_norm *norm, subq_layout layout,
                                 const subq_tensor *x, subq_tensor *y)
{
    if (norm->kind == SUBQ_HYENA_NORM_NONE) return x == y ? SUBQ_OK : subq_tensor_copy(stream, x, y);
    subq_norm_options o = norm_options(norm->kind, layout);
    return subq_norm(stream, x, norm->weight, norm->bias, &o, y);
}

subq_status subq_hyena_check_io(const subq_stream *stream, const subq_hyena *h, const subq_tensor *q,
                                const subq_tensor *k, const subq_tensor *v, const subq_tensor *out)
{
    SUBQ_TRY(subq_arg_stream(stream));
    int rank = h->cfg.global_conv.data_dim + 2;
    SUBQ_TRY(subq_arg_float_tensor("q", q, stream, rank, rank));
    if (q->shape[rank - 1] != h->channels) {
        char got[96];
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "q: expected [B, *S, %lld] channels-last, got %s",
                         (long long)h->channels, subq_format_shape(got, sizeof got, q->rank, q->shape));
    }
    SUBQ_TRY(subq_arg_float_tensor("k", k, stream, rank, rank));
    SUBQ_TRY(subq_arg_shape("k", k, rank, q->shape));
    SUBQ_TRY(subq_arg_float_tensor("v", v, stream, rank, rank));
    SUBQ_TRY(subq_arg_shape("v", v, rank, q->shape));
    SUBQ_TRY(subq_arg_float_tensor("out", out, stream, rank, rank));
    SUBQ_TRY(subq_arg_shape("out", out, rank, q->shape));
    SUBQ_TRY(subq_arg_output("out", out));
    SUBQ_TRY(subq_arg_disjoint("out", out, "q", q));
    SUBQ_TRY(subq_arg_disjoint("out", out, "k", k));
    return subq_arg_disjoint("out", out, "v", v);
}

/* X [B, 3C, *S] = short conv of cat(q, k, v): three calls, each on one block of C channels (the
 * depthwise op's channel slicing picks the block's filters); returns the blocks' views. */
static subq_status short_conv(subq_stream *stream, subq_hyena *h, const subq_tensor *in[3], subq_tensor blocks[3])
{
    int rank = in[0]->rank;
    int64_t shape[SUBQ_MAX_RANK], n = 1, c = h->channels;
    for (int i = 0; i < rank; i++) shape[i] = in[0]->shape[i];
    shape[1] = 3 * c;
    for (int i = 2; i < rank; i++) n *= shape[i];
    subq_tensor *x;
    SUBQ_TRY(subq_scratch_get(&h->scratch, HYENA_SCRATCH_X, rank, shape, &x));
    const subq_short_conv_config *s = &h->cfg.short_conv;
    int64_t wshape[SUBQ_MAX_RANK] = {h->short_groups};
    for (int a = 0; a < rank - 2; a++) wshape[1 + a] = s->kernel_size[a];
    subq_tensor weight = subq_view_of(h->short_weight, 0, rank - 1, wshape, NULL);
    subq_depthwise_conv_options o = {.padding = s->causal ? SUBQ_PADDING_CAUSAL : SUBQ_PADDING_SAME,
                                     .channels = 3 * c, .cp_size = 3};
    shape[1] = c;
    for (int i = 0; i < 3; i++) {
        blocks[i] = subq_view_of(x, i * c * n, rank, shape, x->strides);
        o.cp_rank = i;
        SUBQ_TRY(subq_depthwise_conv(stream, in[i], &weight, h->short_bias, &o, &blocks[i]));
    }
    return SUBQ_OK;
}

/* A [B, C, *S] channels-first dense tensor in scratch slot `slot`. */
static subq_status channels_first(subq_hyena *h, int slot, const subq_tensor *like, subq_tensor **t)
{
    return subq_scratch_get(&h->scratch, slot, like->rank, like->shape, t);
}

subq_status subq_hyena_run(subq_stream *stream, subq_hyena *h, const subq_tensor *q, const subq_tensor *k,
                           const subq_tensor *v, const subq_tensor *conditioning, subq_tensor *out, subq_tensor *z_copy)
{
    subq_tensor views[3] = {subq_view_channels_first(q), subq_view_channels_first(k), subq_view_channels_first(v)};
    subq_tensor blocks[3];
    const subq_tensor *qc = &views[0], *kc = &views[1], *vc = &views[2];
    bool owned = h->cfg.short_conv.kind != SUBQ_SHORT_CONV_NONE; /* q, k, v in scratch, dense */
    if (owned) {
        SUBQ_TRY(short_conv(stream, h, (const subq_tensor *[]){qc, kc, vc}, blocks));
        qc = &blocks[0], kc = &blocks[1], vc = &blocks[2];
    }
    subq_tensor *t;
    if (h->q_norm.kind) {
        if (!owned) SUBQ_TRY(channels_first(h, HYENA_SCRATCH_Q, qc, &t));
        SUBQ_TRY(subq_hyena_normalize(stream, &h->q_norm, SUBQ_CHANNELS_FIRST, qc, owned ? &blocks[0] : t));
        if (!owned) qc = t;
    }
    if (h->k_norm.kind) {
        if (!owned) SUBQ_TRY(channels_first(h, HYENA_SCRATCH_K, kc, &t));
        SUBQ_TRY(subq_hyena_normalize(stream, &h->k_norm, SUBQ_CHANNELS_FIRST, kc, owned ? &blocks[1] : t));
        if (!owned) kc = t;
    }
    const subq_tensor *x = kc, *pre = qc;
    if (owned && !h->pixelhyena_norm.kind && !z_copy) {
        if (h->cfg.gate) SUBQ_TRY(subq_activation_apply(stream, kc, h->cfg.gate, &blocks[1]));
    } else {
        subq_tensor *z;
        SUBQ_TRY(channels_first(h, HYENA_SCRATCH_Z, qc, &z));
        SUBQ_TRY(subq_hyena_gated(stream, &h->pixelhyena_norm, SUBQ_CHANNELS_FIRST, qc, kc, h->cfg.gate, z));
        if (z_copy) SUBQ_TRY(subq_tensor_copy(stream, z, z_copy));
        x = z, pre = NULL;
    }
    subq_tensor *hidden;
    SUBQ_TRY(channels_first(h, HYENA_SCRATCH_H, qc, &hidden));
    SUBQ_TRY(subq_ckconv_forward(stream, h->conv, x, pre, NULL, conditioning, hidden));
    subq_tensor outc = subq_view_channels_first(out);
    return subq_hyena_gated(stream, &h->output_norm, SUBQ_CHANNELS_FIRST, hidden, vc, h->gate_2, &outc);
}

subq_status subq_hyena_forward(subq_stream *stream, subq_hyena *h, const subq_tensor *q, const subq_tensor *k,
                               const subq_tensor *v, const subq_tensor *conditioning, subq_tensor *out)
{
    if (!h) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "module: expected a Hyena, got NULL");
    SUBQ_TRY(subq_hyena_check_io(stream, h, q, k, v, out));
    SUBQ_TRY(subq_ckconv_check_conditioning(stream, h->conv, conditioning, q->shape[0]));
    return subq_hyena_run(stream, h, q, k, v, conditioning, out, NULL);
}
