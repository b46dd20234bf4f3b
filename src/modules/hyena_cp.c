/* Hyena's forward across a context-parallel group (SPEC.md sections 3 and 6), the original's
 * communication pattern on rank r of P, every tensor [B, C, S0/P, *R] channels-first unless noted:
 *   cat(q, k, v) [B, 3C, S0/P, *R] --split_to_full--> [B, 3C/P, S0, *R]: channel block r of the 3C
 *   short conv of that block with its filters, over the whole sequence (in three thirds)
 *   --full_to_split--> [B, 3C, S0/P, *R], then q, k, v = its three blocks of C
 *   QK norm, z = pixelhyena_norm(q * gate(k)) on the local positions
 *   z --split_to_full--> [B, C/P, S0, *R]; CKConvND on channels [r C/P, (r+1) C/P)
 *   --full_to_split--> h; out = output_norm(h * gate_2(v)) locally, channels-last.
 * A step that fails on one rank turns into a refusal of the next collective, so its peers fail
 * there too instead of waiting for it; a failed collective failed on every rank, and each returns. */
#include "cp/cp.h"
#include "modules/hyena_module.h"
#include "runtime/args.h"

typedef subq_status (*cp_move_fn)(subq_stream *, subq_cp_group *, const subq_tensor *, subq_tensor *);

/* The collective when this rank got here intact, else its refusal. */
static subq_status exchange(subq_stream *stream, subq_cp_group *g, subq_status before, cp_op op,
                            const subq_tensor *x, subq_tensor *y)
{
    if (before != SUBQ_OK) return cp_refuse(g, op, before);
    cp_move_fn move = op == CP_SPLIT_TO_FULL ? subq_cp_split_to_full : subq_cp_full_to_split;
    return move(stream, g, x, y);
}

/* [B, channels, length, *R] dense in scratch slot `slot`, the other axes as like's. */
static subq_status scratch_like(subq_hyena *h, int slot, const subq_tensor *like, int64_t channels, int64_t length,
                                subq_tensor **t)
{
    int64_t shape[SUBQ_MAX_RANK];
    for (int i = 0; i < like->rank; i++) shape[i] = like->shape[i];
    shape[1] = channels, shape[2] = length;
    return subq_scratch_get(&h->scratch, slot, like->rank, shape, t);
}

static subq_status check_cp(const subq_stream *stream, const subq_hyena *h, const subq_cp_group *g,
                            const subq_tensor *q)
{
    int p = subq_cp_group_size(g);
    if (g->ctx != subq_stream_context(stream))
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "group: belongs to another context than the stream");
    if (h->cfg.global_conv.causal)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "module: a causal Hyena cannot run across a context-parallel "
                                                      "group of %d ranks (as the original)", p);
    if (h->channels % p)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "q: its %lld channels are not divisible by the group size %d",
                         (long long)h->channels, p);
    if (q->shape[1] % 2)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "q: this rank's %lld positions of the first spatial axis are not "
                                                      "two zigzag chunks (the length L = %lld is not divisible by 2P = %d)",
                         (long long)q->shape[1], (long long)(q->shape[1] * p), 2 * p);
    return SUBQ_OK;
}

/* cat(q, k, v) [B, 3C, ...] as one view when q, k and v are adjacent channel blocks of one tensor
 * (the columns of a [B, *S, 3C] projection, as in the QKV mixer): no copy then. */
static bool adjacent(const subq_tensor *in[3], int64_t c, subq_tensor *cat)
{
    for (int i = 1; i < 3; i++) {
        bool same = in[i]->storage == in[0]->storage && in[i]->offset == in[0]->offset + i * c * in[0]->strides[1];
        for (int a = 0; a < in[0]->rank; a++) same = same && in[i]->strides[a] == in[0]->strides[a];
        if (!same) return false;
    }
    int64_t shape[SUBQ_MAX_RANK];
    for (int a = 0; a < in[0]->rank; a++) shape[a] = in[0]->shape[a];
    shape[1] = 3 * c;
    *cat = subq_view_of(in[0], 0, in[0]->rank, shape, in[0]->strides);
    return true;
}

/* cat(q, k, v) channels-first: a view of the inputs, or their copy into scratch. */
static subq_status concatenate(subq_stream *stream, subq_hyena *h, const subq_tensor *in[3], subq_tensor *view,
                               const subq_tensor **cat)
{
    *cat = view;
    if (adjacent(in, h->channels, view)) return SUBQ_OK;
    subq_tensor *dense, parts[3];
    SUBQ_TRY(scratch_like(h, HYENA_SCRATCH_CAT, in[0], 3 * h->channels, in[0]->shape[2], &dense));
    subq_hyena_split_qkv(dense, h->channels, parts);
    for (int i = 0; i < 3; i++) SUBQ_TRY(subq_tensor_copy(stream, in[i], &parts[i]));
    *cat = dense;
    return SUBQ_OK;
}

/* Short conv across the group; blocks: q, k, v [B, C, S0/P, *R] after it (views of scratch). */
static subq_status short_conv(subq_stream *stream, subq_hyena *h, subq_cp_group *g, const subq_tensor *in[3],
                              subq_tensor blocks[3])
{
    int p = subq_cp_group_size(g);
    int64_t c = h->channels, local = in[0]->shape[2];
    subq_tensor view, *full = NULL, *convolved = NULL, *back = NULL;
    const subq_tensor *cat = NULL;
    subq_status status = concatenate(stream, h, in, &view, &cat);
    if (status == SUBQ_OK) status = scratch_like(h, HYENA_SCRATCH_FULL_A, in[0], 3 * c / p, local * p, &full);
    SUBQ_TRY(exchange(stream, g, status, CP_SPLIT_TO_FULL, cat, full));
    status = scratch_like(h, HYENA_SCRATCH_FULL_B, in[0], 3 * c / p, local * p, &convolved);
    /* block r of the 3C as three thirds (sub-blocks 3r .. 3r+2 of 3P): each binding stays [B, C/P, S0, *R] */
    subq_tensor from[3], to[3];
    if (status == SUBQ_OK) {
        subq_hyena_split_qkv(full, c / p, from);
        subq_hyena_split_qkv(convolved, c / p, to);
    }
    for (int i = 0; i < 3 && status == SUBQ_OK; i++)
        status = subq_hyena_short_conv_block(stream, h, &from[i], 3 * subq_cp_group_rank(g) + i, 3 * p, &to[i]);
    if (status == SUBQ_OK) status = scratch_like(h, HYENA_SCRATCH_X, in[0], 3 * c, local, &back);
    SUBQ_TRY(exchange(stream, g, status, CP_FULL_TO_SPLIT, convolved, back));
    subq_hyena_split_qkv(back, c, blocks);
    return SUBQ_OK;
}

/* h [B, C, S0/P, *R] = CKConvND(z) across the group: the rank convolves its channel slice. */
static subq_status global_conv(subq_stream *stream, subq_hyena *h, subq_cp_group *g, subq_status before,
                               const subq_tensor *z, const subq_tensor *conditioning, subq_tensor **hidden)
{
    int p = subq_cp_group_size(g);
    int64_t c = h->channels, local = z ? z->shape[2] : 0;
    subq_tensor *full = NULL, *convolved = NULL;
    subq_status status = before;
    if (status == SUBQ_OK) status = scratch_like(h, HYENA_SCRATCH_FULL_A, z, c / p, local * p, &full);
    SUBQ_TRY(exchange(stream, g, status, CP_SPLIT_TO_FULL, z, full));
    status = scratch_like(h, HYENA_SCRATCH_FULL_B, z, c / p, local * p, &convolved);
    subq_ckconv_slice slice = {subq_cp_group_rank(g) * (c / p), c / p};
    if (status == SUBQ_OK)
        status = subq_ckconv_forward_slice(stream, h->conv, slice, full, NULL, NULL, conditioning, convolved);
    if (status == SUBQ_OK) status = scratch_like(h, HYENA_SCRATCH_H, z, c, local, hidden);
    return exchange(stream, g, status, CP_FULL_TO_SPLIT, convolved, *hidden);
}

static subq_status run_cp(subq_stream *stream, subq_hyena *h, subq_cp_group *g, const subq_tensor *q,
                          const subq_tensor *k, const subq_tensor *v, const subq_tensor *conditioning, subq_tensor *out)
{
    subq_tensor views[3] = {subq_view_channels_first(q), subq_view_channels_first(k), subq_view_channels_first(v)};
    subq_tensor blocks[3];
    const subq_tensor *qc = &views[0], *kc = &views[1], *vc = &views[2];
    bool owned = h->cfg.short_conv.kind != SUBQ_SHORT_CONV_NONE;
    if (owned) {
        SUBQ_TRY(short_conv(stream, h, g, (const subq_tensor *[]){qc, kc, vc}, blocks));
        qc = &blocks[0], kc = &blocks[1], vc = &blocks[2];
    }
    subq_tensor *z = NULL, *hidden = NULL;
    subq_status status = subq_hyena_qk_norm(stream, h, owned ? blocks : NULL, &qc, &kc);
    if (status == SUBQ_OK) status = subq_hyena_gate_1(stream, h, qc, kc, &z);
    SUBQ_TRY(global_conv(stream, h, g, status, z, conditioning, &hidden));
    return subq_hyena_gate_2(stream, h, hidden, vc, out);
}

subq_status subq_hyena_forward_cp(subq_stream *stream, subq_hyena *h, subq_cp_group *group, const subq_tensor *q,
                                  const subq_tensor *k, const subq_tensor *v, const subq_tensor *conditioning,
                                  subq_tensor *out)
{
    if (subq_cp_group_size(group) <= 1) return subq_hyena_forward(stream, h, q, k, v, conditioning, out);
    subq_status status = h ? SUBQ_OK : subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "module: expected a Hyena, got NULL");
    if (status == SUBQ_OK) status = subq_hyena_check_io(stream, h, q, k, v, out);
    if (status == SUBQ_OK) status = subq_ckconv_check_conditioning(stream, h->conv, conditioning, q->shape[0]);
    if (status == SUBQ_OK) status = check_cp(stream, h, group, q);
    if (status == SUBQ_OK && subq_stream_is_external(stream))
        status = subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "stream: records into a host command buffer; a collective "
                                                        "must submit its stream");
    if (status != SUBQ_OK) return cp_refuse(group, CP_SPLIT_TO_FULL, status);
    return run_cp(stream, h, group, q, k, v, conditioning, out);
}
