#include "modules/scratch.h"

#include <stdlib.h>

subq_status subq_scratch_init(subq_scratch *scratch, subq_context *ctx, int32_t slots)
{
    *scratch = (subq_scratch){.ctx = ctx, .slot_count = slots};
    scratch->slots = calloc((size_t)slots, sizeof *scratch->slots);
    if (!scratch->slots) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "module scratch: out of host memory");
    return SUBQ_OK;
}

void subq_scratch_release(subq_scratch *scratch)
{
    for (int32_t i = 0; i < scratch->slot_count; i++) subq_tensor_destroy(scratch->slots[i].base);
    for (int32_t i = 0; i < scratch->retired_count; i++) subq_tensor_destroy(scratch->retired[i]);
    free(scratch->slots);
    free(scratch->retired);
    *scratch = (subq_scratch){0};
}

static subq_status grow(subq_scratch *scratch, subq_scratch_slot *slot, int64_t numel)
{
    subq_tensor *base;
    SUBQ_TRY(subq_tensor_create(scratch->ctx, SUBQ_F32, 1, &numel, &base));
    if (slot->base) {
        subq_tensor **retired = realloc(scratch->retired, (size_t)(scratch->retired_count + 1) * sizeof *retired);
        if (!retired) {
            subq_tensor_destroy(base);
            return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "module scratch: out of host memory");
        }
        scratch->retired = retired;
        scratch->retired[scratch->retired_count++] = slot->base;
    }
    slot->base = base;
    return SUBQ_OK;
}

subq_status subq_scratch_get(subq_scratch *scratch, int32_t slot, int rank, const int64_t *shape,
                             subq_tensor **tensor)
{
    subq_scratch_slot *s = &scratch->slots[slot];
    int64_t numel = 1;
    for (int i = 0; i < rank; i++) numel *= shape[i];
    if (!s->base || s->base->shape[0] < numel) SUBQ_TRY(grow(scratch, s, numel));
    s->view = subq_view_of(s->base, 0, rank, shape, NULL);
    *tensor = &s->view;
    return SUBQ_OK;
}
