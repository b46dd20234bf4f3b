/* Hyena's forward (SPEC.md section 3) on channels-last [B, *S, C]:
 *   short conv over cat(q, k, v)  -> X [B, 3C, *S] channels-first (the layout change rides on it)
 *   QK norm, z = pixelhyena_norm(q * gate(k))  -> Z [B, C, *S]
 *   h = CKConvND(z)  -> H [B, C, *S]
 *   out = output_norm(h * gate_2(v)) written channels-last (one pass, also the layout change);
 *   without an output norm and with an Identity gate_2, into an out stored channels-first (as
 *   QKVSequenceMixer's), the FFT conv writes h * v itself.
 * Without a PixelHyena norm and with the short conv, z is not stored: the FFT conv reads
 * pre = q and x = gate(k) and forms the product itself. 1D rows with a PixelHyena norm and no QK norm
 * take the first three steps in one pass (hyena_conv_gate_norm.c), which writes only z and v. */
#include "modules/hyena_module.h"
#include "runtime/args.h"

subq_norm_options subq_hyena_norm_options(subq_hyena_norm kind, subq_layout layout)
{
    subq_norm_kind kinds[] = {SUBQ_NORM_RMS, SUBQ_NORM_RMS, SUBQ_NORM_LAYER, SUBQ_NORM_L2};
    return (subq_norm_options){.kind = kinds[kind], .layout = layout, .gate_position = SUBQ_GATE_BEFORE};
}

subq_status subq_hyena_gated(subq_stream *stream, const hyena_norm *norm, subq_layout layout, const subq_tensor *a,
                             const subq_tensor *b, subq_activation activation, subq_tensor *y)
{
    if (norm->kind == SUBQ_HYENA_NORM_NONE) return subq_gate(stream, a, b, activation, y);
    subq_norm_options o = subq_hyena_norm_options(norm->kind, layout);
    return subq_gated_norm(stream, a, b, activation, norm->weight, norm->bias, &o, y);
}

subq_status subq_hyena_normalize(subq_stream *stream, const hyena_norm *norm, subq_layout layout,
                                 const subq_tensor *x, subq_tensor *y)
{
    if (norm->kind == SUBQ_HYENA_NORM_NONE) return x == y ? SUBQ_OK : subq_tensor_copy(stream, x, y);
    subq_norm_options o = subq_hyena_norm_options(norm->kind, layout);
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

subq_status subq_hyena_short_conv_block(subq_stream *stream, const subq_hyena *h, const subq_tensor *x, int block,
                                        int blocks, subq_tensor *y)
{
    const subq_short_conv_config *s = &h->cfg.short_conv;
    int rank = x->rank;
    int64_t wshape[SUBQ_MAX_RANK] = {h->short_groups};
    for (int a = 0; a < rank - 2; a++) wshape[1 + a] = s->kernel_size[a];
    subq_tensor weight = subq_view_of(h->short_weight, 0, rank - 1, wshape, NULL);
    subq_depthwise_conv_options o = {.padding = s->causal ? SUBQ_PADDING_CAUSAL : SUBQ_PADDING_SAME,
                                     .channels = 3 * h->channels, .cp_rank = block, .cp_size = blocks};
    return subq_depthwise_conv(stream, x, &weight, h->short_bias, &o, y);
}

void subq_hyena_split_qkv(const subq_tensor *x, int64_t channels, subq_tensor blocks[3])
{
    int64_t shape[SUBQ_MAX_RANK], n = 1;
    for (int i = 0; i < x->rank; i++) shape[i] = x->shape[i];
    for (int i = 2; i < x->rank; i++) n *= shape[i];
    shape[1] = channels;
    for (int i = 0; i < 3; i++) blocks[i] = subq_view_of(x, i * channels * n, x->rank, shape, x->strides);
}

/* q, k, v as consecutive channel blocks of one tensor (QKVSequenceMixer's chunk of qkv_proj). */
static bool adjacent_blocks(const subq_tensor *in[3])
{
    for (int i = 1; i < 3; i++) {
        if (in[i]->storage != in[0]->storage || in[i]->dtype != in[0]->dtype ||
            in[i]->offset != in[0]->offset + i * in[0]->shape[1] * in[0]->strides[1])
            return false;
        for (int a = 0; a < in[0]->rank; a++)
            if (in[i]->shape[a] != in[0]->shape[a] || in[i]->strides[a] != in[0]->strides[a]) return false;
    }
    return true;
}

/* X [B, 3C, *S] = short conv of cat(q, k, v): one call when q, k, v are blocks of one tensor, else
 * one per block of C channels (the depthwise op's channel slicing picks the block's filters);
 * returns the blocks' views. */
static subq_status short_conv(subq_stream *stream, subq_hyena *h, const subq_tensor *in[3], subq_tensor blocks[3])
{
    int64_t shape[SUBQ_MAX_RANK];
    for (int i = 0; i < in[0]->rank; i++) shape[i] = in[0]->shape[i];
    shape[1] = 3 * h->channels;
    subq_tensor *x;
    SUBQ_TRY(subq_scratch_get(&h->scratch, HYENA_SCRATCH_X, in[0]->rank, shape, &x));
    subq_hyena_split_qkv(x, h->channels, blocks);
    if (adjacent_blocks(in)) {
        subq_tensor all = *in[0];
        all.shape[1] = 3 * h->channels;
        return subq_hyena_short_conv_block(stream, h, &all, 0, 1, x);
    }
    for (int i = 0; i < 3; i++) SUBQ_TRY(subq_hyena_short_conv_block(stream, h, in[i], i, 3, &blocks[i]));
    return SUBQ_OK;
}

/* A [B, C, *S] channels-first dense tensor in scratch slot `slot`. */
static subq_status channels_first(subq_hyena *h, int slot, const subq_tensor *like, subq_tensor **t)
{
    return subq_scratch_get(&h->scratch, slot, like->rank, like->shape, t);
}

subq_status subq_hyena_qk_norm(subq_stream *stream, subq_hyena *h, subq_tensor *blocks, const subq_tensor **qc,
                               const subq_tensor **kc)
{
    const hyena_norm *norms[2] = {&h->q_norm, &h->k_norm};
    const subq_tensor **io[2] = {qc, kc};
    int slots[2] = {HYENA_SCRATCH_Q, HYENA_SCRATCH_K};
    for (int i = 0; i < 2; i++) {
        if (!norms[i]->kind) continue;
        subq_tensor *t = blocks ? &blocks[i] : NULL;
        if (!t) SUBQ_TRY(channels_first(h, slots[i], *io[i], &t));
        SUBQ_TRY(subq_hyena_normalize(stream, norms[i], SUBQ_CHANNELS_FIRST, *io[i], t));
        *io[i] = t;
    }
    return SUBQ_OK;
}

subq_status subq_hyena_gate_1(subq_stream *stream, subq_hyena *h, const subq_tensor *qc, const subq_tensor *kc,
                              subq_tensor **z)
{
    SUBQ_TRY(channels_first(h, HYENA_SCRATCH_Z, qc, z));
    return subq_hyena_gated(stream, &h->pixelhyena_norm, SUBQ_CHANNELS_FIRST, qc, kc, h->cfg.gate, *z);
}

subq_status subq_hyena_gate_2(subq_stream *stream, const subq_hyena *h, const subq_tensor *hidden,
                              const subq_tensor *vc, subq_tensor *out)
{
    subq_tensor outc = subq_view_channels_first(out);
    return subq_hyena_gated(stream, &h->output_norm, SUBQ_CHANNELS_FIRST, hidden, vc, h->gate_2, &outc);
}

/* z (scratch) and v (scratch X) after the short conv, gate and PixelHyena norm, in one pass. */
static subq_status fused_front(subq_stream *stream, subq_hyena *h, const subq_tensor *qc, const subq_tensor *kc,
                               const subq_tensor *vc, subq_tensor **z, subq_tensor **v)
{
    SUBQ_TRY(channels_first(h, HYENA_SCRATCH_Z, qc, z));
    SUBQ_TRY(channels_first(h, HYENA_SCRATCH_X, qc, v));
    return subq_hyena_conv_gate_norm(stream, h, qc, kc, vc, *z, *v);
}

subq_status subq_hyena_run(subq_stream *stream, subq_hyena *h, const subq_tensor *q, const subq_tensor *k,
                           const subq_tensor *v, const subq_tensor *conditioning, subq_tensor *out, subq_tensor *z_copy)
{
    subq_tensor views[3] = {subq_view_channels_first(q), subq_view_channels_first(k), subq_view_channels_first(v)};
    subq_tensor blocks[3];
    const subq_tensor *qc = &views[0], *kc = &views[1], *vc = &views[2];
    const subq_tensor *x = kc, *pre = qc;
    subq_tensor *z;
    if (subq_hyena_conv_gate_norm_fits(h, qc, kc, vc)) {
        subq_tensor *v_conv;
        SUBQ_TRY(fused_front(stream, h, qc, kc, vc, &z, &v_conv));
        if (z_copy) SUBQ_TRY(subq_tensor_copy(stream, z, z_copy));
        x = z, pre = NULL, vc = v_conv;
    } else {
        bool owned = h->cfg.short_conv.kind != SUBQ_SHORT_CONV_NONE; /* q, k, v in scratch, dense */
        if (owned) {
            SUBQ_TRY(short_conv(stream, h, (const subq_tensor *[]){qc, kc, vc}, blocks));
            qc = &blocks[0], kc = &blocks[1], vc = &blocks[2];
        }
        SUBQ_TRY(subq_hyena_qk_norm(stream, h, owned ? blocks : NULL, &qc, &kc));
        x = kc, pre = qc;
        if (owned && !h->pixelhyena_norm.kind && !z_copy) {
            if (h->cfg.gate) SUBQ_TRY(subq_activation_apply(stream, kc, h->cfg.gate, &blocks[1]));
        } else {
            SUBQ_TRY(subq_hyena_gate_1(stream, h, qc, kc, &z));
            if (z_copy) SUBQ_TRY(subq_tensor_copy(stream, z, z_copy));
            x = z, pre = NULL;
        }
    }
    /* out = h * v straight from the FFT conv, which takes positions stored densely */
    subq_tensor outc = subq_view_channels_first(out);
    if (!h->output_norm.kind && !h->gate_2 && subq_tensor_dense_from(&outc, 2) && subq_tensor_dense_from(vc, 2))
        return subq_ckconv_forward(stream, h->conv, x, pre, vc, conditioning, &outc);
    subq_tensor *hidden;
    SUBQ_TRY(channels_first(h, HYENA_SCRATCH_H, qc, &hidden));
    SUBQ_TRY(subq_ckconv_forward(stream, h->conv, x, pre, NULL, conditioning, hidden));
    return subq_hyena_gate_2(stream, h, hidden, vc, out);
}

subq_status subq_hyena_forward(subq_stream *stream, subq_hyena *h, const subq_tensor *q, const subq_tensor *k,
                               const subq_tensor *v, const subq_tensor *conditioning, subq_tensor *out)
{
    if (!h) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "module: expected a Hyena, got NULL");
    SUBQ_TRY(subq_hyena_check_io(stream, h, q, k, v, out));
    SUBQ_TRY(subq_ckconv_check_conditioning(stream, h->conv, conditioning, q->shape[0]));
    return subq_hyena_run(stream, h, q, k, v, conditioning, out, NULL);
}
