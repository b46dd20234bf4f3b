/* The context's scratch (context_scratch.h). */
#include "runtime/context_scratch.h"

#include <stdlib.h>

struct subq_context_scratch {
    mtx_t lock;
    subq_tensor *current;   /* 1-D f32 */
    subq_tensor **retired;
    int retired_count;
};

subq_status subq_context_scratch_init(subq_context *ctx)
{
    subq_context_scratch *s = calloc(1, sizeof *s);
    if (!s) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "out of host memory for the context's scratch");
    if (mtx_init(&s->lock, mtx_plain) != thrd_success) {
        free(s);
        return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "could not create a mutex");
    }
    ctx->scratch = s;
    return SUBQ_OK;
}

void subq_context_scratch_release(subq_context *ctx)
{
    subq_context_scratch *s = ctx->scratch;
    if (!s) return;
    subq_tensor_destroy(s->current);
    for (int i = 0; i < s->retired_count; i++) subq_tensor_destroy(s->retired[i]);
    free(s->retired);
    mtx_destroy(&s->lock);
    free(s);
    ctx->scratch = NULL;
}

static subq_status grow(subq_context *ctx, subq_context_scratch *s, int64_t floats)
{
    subq_tensor **retired = realloc(s->retired, (size_t)(s->retired_count + 1) * sizeof *retired);
    if (!retired) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "out of host memory for the context's scratch");
    s->retired = retired;
    subq_tensor *bigger;
    SUBQ_TRY(subq_tensor_create(ctx, SUBQ_F32, 1, &floats, &bigger));
    if (s->current) s->retired[s->retired_count++] = s->current;
    s->current = bigger;
    return SUBQ_OK;
}

subq_status subq_context_scratch_get(subq_context *ctx, int64_t floats, subq_tensor *view)
{
    subq_context_scratch *s = ctx->scratch;
    mtx_lock(&s->lock);
    subq_status status = !s->current || s->current->shape[0] < floats ? grow(ctx, s, floats) : SUBQ_OK;
    if (status == SUBQ_OK) {
        *view = *s->current;
        view->shape[0] = floats;
    }
    mtx_unlock(&s->lock);
    return status;
}
