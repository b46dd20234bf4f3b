/* split_to_full / full_to_split (SPEC.md section 6) and the group-driven depthwise conv.
 * A collective is: agree on the arguments, pack this rank's blocks (one per peer) into the group's
 * send buffer, exchange, unpack the received blocks into y. Pack and unpack are strided copies
 * (shaders/copy.comp) between views of the user's tensors and dense blocks of the buffers:
 * block layout [B, C/P, 2 * Lc, *R], Lc = L / (2P); the first half of a block is zigzag chunk
 * r, the second chunk 2P-1-r. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp/cp.h"
#include "runtime/args.h"

typedef struct cp_view {
    const subq_tensor *base;
    int64_t offset; /* elements, from base's first element */
    int64_t strides[SUBQ_MAX_RANK];
} cp_view;

typedef struct cp_plan {
    int rank;
    int64_t block_shape[SUBQ_MAX_RANK]; /* [B, C/P, 2 Lc, *R] */
    int64_t dense[SUBQ_MAX_RANK];       /* the block's dense strides */
    int64_t block;                      /* elements per block */
    int64_t chunk;                      /* Lc */
} cp_plan;

static const char *op_name(int32_t op)
{
    return op == CP_SPLIT_TO_FULL ? "split_to_full" : op == CP_FULL_TO_SPLIT ? "full_to_split" : "another call";
}

static subq_status check_group(const subq_stream *s, const subq_cp_group *g)
{
    SUBQ_TRY(subq_arg_stream(s));
    if (subq_stream_is_external(s))
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "stream: records into a host command buffer; a collective "
                                                      "must submit its stream");
    if (!g) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "group: expected a context-parallel group, got NULL");
    if (g->ctx != subq_stream_context(s))
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "group: belongs to another context than the stream");
    return SUBQ_OK;
}

/* x's and y's shapes for this op; fills the plan. */
static subq_status check_shapes(const subq_stream *s, const subq_cp_group *g, const subq_tensor *x,
                                const subq_tensor *y, cp_op op, cp_plan *plan)
{
    SUBQ_TRY(subq_arg_tensor("x", x, s, SUBQ_F32, 3, 5));
    int64_t p = g->size, channels = x->shape[1], length = x->shape[2];
    bool split = op == CP_SPLIT_TO_FULL;
    if (split && channels % p)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "x: its %lld channels are not divisible by the group size %lld",
                         (long long)channels, (long long)p);
    int64_t full_length = split ? length * p : length;
    if (full_length % (2 * p))
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "x: the sequence length L = %lld is not divisible by 2P = %lld "
                                                      "(zigzag: 2P chunks)", (long long)full_length, (long long)(2 * p));
    int64_t y_shape[SUBQ_MAX_RANK];
    memcpy(y_shape, x->shape, sizeof y_shape);
    y_shape[1] = split ? channels / p : channels * p;
    y_shape[2] = split ? full_length : full_length / p;
    SUBQ_TRY(subq_arg_tensor("y", y, s, SUBQ_F32, x->rank, x->rank));
    SUBQ_TRY(subq_arg_shape("y", y, x->rank, y_shape));
    SUBQ_TRY(subq_arg_output("y", y));
    SUBQ_TRY(subq_arg_disjoint("y", y, "x", x));

    plan->rank = x->rank;
    plan->chunk = full_length / (2 * p);
    memcpy(plan->block_shape, x->shape, sizeof plan->block_shape);
    plan->block_shape[1] = split ? channels / p : channels;
    plan->block_shape[2] = 2 * plan->chunk;
    plan->block = 1;
    for (int a = x->rank - 1; a >= 0; a--) {
        plan->dense[a] = plan->block;
        plan->block *= plan->block_shape[a];
    }
    return SUBQ_OK;
}

/* Every rank posts its call; all fail alike when one refused its arguments or the calls differ. */
static subq_status agree(subq_cp_group *g, const cp_call *mine, subq_status refusal)
{
    char message[512];
    snprintf(message, sizeof message, "%s", subq_last_error());
    cp_call *all = calloc((size_t)g->size, sizeof *all);
    if (!all) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "out of host memory for a collective");
    subq_status status = g->backend->agree(g, mine, all);
    char want[128], got[128];
    for (int r = 0; status == SUBQ_OK && r < g->size; r++) {
        const cp_call *c = &all[r];
        if (!mine->ok)
            status = subq_fail(refusal, "%s", message);
        else if (!c->ok)
            status = subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "group: rank %d refused its arguments to %s (its "
                                                            "error says why); nothing was recorded", r, op_name(mine->op));
        else if (c->op != mine->op)
            status = subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "group: rank %d called %s while rank %d called %s",
                               r, op_name(c->op), g->rank, op_name(mine->op));
        else if (memcmp(c, mine, sizeof *c)) {
            bool x_differs = c->rank != mine->rank || memcmp(c->x_shape, mine->x_shape, sizeof c->x_shape);
            const int64_t *theirs = x_differs ? c->x_shape : c->y_shape, *ours = x_differs ? mine->x_shape : mine->y_shape;
            status = subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "%s: rank %d passed shape %s, rank %d passed %s; every "
                                                            "rank must pass the same shapes", x_differs ? "x" : "y", r,
                               subq_format_shape(want, sizeof want, c->rank, theirs), g->rank,
                               subq_format_shape(got, sizeof got, mine->rank, ours));
        }
    }
    free(all);
    return status;
}

static bool binds(const subq_context *ctx, int rank, const int64_t *shape, const int64_t *strides)
{
    int64_t span = 1, numel = 1;
    for (int a = 0; a < rank; a++) {
        span += (shape[a] - 1) * strides[a];
        numel *= shape[a];
    }
    uint64_t bytes = (uint64_t)span * sizeof(float) + ctx->info.min_storage_buffer_offset_alignment;
    return bytes <= ctx->info.max_storage_buffer_range && numel <= (int64_t)UINT32_MAX;
}

/* One copy, or halves of the outermost axis longer than 1 until each piece fits one binding. */
static subq_status copy_views(subq_stream *s, int rank, const int64_t *shape, const cp_view *src,
                              const cp_view *dst)
{
    const subq_context *ctx = subq_stream_context(s);
    if (binds(ctx, rank, shape, src->strides) && binds(ctx, rank, shape, dst->strides)) {
        subq_tensor *a = NULL, *b = NULL;
        subq_status status = subq_tensor_view(src->base, src->offset, rank, shape, src->strides, &a);
        if (status == SUBQ_OK) status = subq_tensor_view(dst->base, dst->offset, rank, shape, dst->strides, &b);
        if (status == SUBQ_OK) status = subq_tensor_copy(s, a, b);
        subq_tensor_destroy(a);
        subq_tensor_destroy(b);
        return status;
    }
    int axis = 0;
    while (axis < rank && shape[axis] == 1) axis++;
    if (axis == rank)
        return subq_fail(SUBQ_ERROR_UNSUPPORTED, "one element does not fit device '%s''s binding limit",
                         ctx->info.name);
    int64_t piece[SUBQ_MAX_RANK];
    memcpy(piece, shape, sizeof piece);
    piece[axis] = shape[axis] / 2;
    SUBQ_TRY(copy_views(s, rank, piece, src, dst));
    cp_view src2 = *src, dst2 = *dst;
    src2.offset += piece[axis] * src->strides[axis];
    dst2.offset += piece[axis] * dst->strides[axis];
    piece[axis] = shape[axis] - piece[axis];
    return copy_views(s, rank, piece, &src2, &dst2);
}

static cp_view view_of(const subq_tensor *t, int64_t offset, const int64_t *strides)
{
    cp_view v = {.base = t, .offset = offset};
    memcpy(v.strides, strides, sizeof v.strides);
    return v;
}

/* Zigzag chunk of position h (0: first, 1: second) in the block for or from rank q. */
static int64_t zigzag_chunk(const subq_cp_group *g, int q, int h) { return h ? 2 * g->size - 1 - q : q; }

/* A whole block (block q of buf <-> channel block q of t), or its two chunk halves (block q of buf
 * <-> chunks q and 2P-1-q of t's sequence), in the direction given. */
static subq_status move_blocks(subq_stream *s, const subq_cp_group *g, const cp_plan *plan,
                               const subq_tensor *t, const subq_tensor *buf, bool by_channels, bool to_buf)
{
    int64_t half_shape[SUBQ_MAX_RANK];
    memcpy(half_shape, plan->block_shape, sizeof half_shape);
    half_shape[2] = plan->chunk;
    for (int q = 0; q < g->size; q++) {
        for (int h = 0; h < (by_channels ? 1 : 2); h++) {
            cp_view tv, bv = view_of(buf, q * plan->block + h * plan->chunk * plan->dense[2], plan->dense);
            if (by_channels)
                tv = view_of(t, q * plan->block_shape[1] * t->strides[1], t->strides);
            else
                tv = view_of(t, zigzag_chunk(g, q, h) * plan->chunk * t->strides[2], t->strides);
            const int64_t *shape = by_channels ? plan->block_shape : half_shape;
            SUBQ_TRY(to_buf ? copy_views(s, plan->rank, shape, &tv, &bv) : copy_views(s, plan->rank, shape, &bv, &tv));
        }
    }
    return SUBQ_OK;
}

static subq_status collective(subq_stream *s, subq_cp_group *g, const subq_tensor *x, subq_tensor *y, cp_op op)
{
    cp_plan plan = {0};
    subq_status status = check_group(s, g);
    if (!g) return status;
    if (status == SUBQ_OK) status = check_shapes(s, g, x, y, op, &plan);
    VkDeviceSize bytes = (VkDeviceSize)(plan.block * g->size) * sizeof(float);
    if (status == SUBQ_OK) status = g->backend->reserve(g, s, bytes);
    cp_call mine = {.op = op, .ok = status == SUBQ_OK};
    if (mine.ok) {
        mine.dtype = x->dtype;
        mine.rank = x->rank;
        memcpy(mine.x_shape, x->shape, (size_t)x->rank * sizeof *x->shape);
        memcpy(mine.y_shape, y->shape, (size_t)y->rank * sizeof *y->shape);
    }
    SUBQ_TRY(agree(g, &mine, status));
    SUBQ_TRY(g->backend->order(g, s));
    bool split = op == CP_SPLIT_TO_FULL;
    status = move_blocks(s, g, &plan, x, g->send, split, true);
    /* Peers are waiting in the exchange: a rank whose pack failed still takes part, then fails. */
    subq_status moved = g->backend->exchange(g, s, (VkDeviceSize)plan.block * sizeof(float), status == SUBQ_OK);
    SUBQ_TRY(status);
    SUBQ_TRY(moved);
    return move_blocks(s, g, &plan, y, g->recv, !split, false);
}

subq_status subq_cp_split_to_full(subq_stream *stream, subq_cp_group *group, const subq_tensor *x, subq_tensor *y)
{
    return collective(stream, group, x, y, CP_SPLIT_TO_FULL);
}

subq_status subq_cp_full_to_split(subq_stream *stream, subq_cp_group *group, const subq_tensor *x, subq_tensor *y)
{
    return collective(stream, group, x, y, CP_FULL_TO_SPLIT);
}

subq_status subq_cp_depthwise_conv(subq_stream *stream, const subq_cp_group *group, const subq_tensor *x,
                                   const subq_tensor *weight, const subq_tensor *bias,
                                   const subq_depthwise_conv_options *options, subq_tensor *y)
{
    SUBQ_TRY(subq_arg_stream(stream));
    if (!group) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "group: expected a context-parallel group, got NULL");
    if (group->ctx != subq_stream_context(stream))
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "group: belongs to another context than the stream");
    subq_depthwise_conv_options o = options ? *options : (subq_depthwise_conv_options){0};
    bool unset = o.cp_size == 0 && o.cp_rank == 0;
    if (!unset && (o.cp_size != group->size || o.cp_rank != group->rank))
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "options.cp_rank/cp_size: %d of %d disagree with the group's "
                                                      "rank %d of %d; leave them 0", o.cp_rank, o.cp_size,
                         group->rank, group->size);
    o.cp_size = group->size;
    o.cp_rank = group->rank;
    return subq_depthwise_conv(stream, x, weight, bias, &o, y);
}
