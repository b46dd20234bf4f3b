/* Context-parallel groups: the fields every backend shares. */
#include <stdlib.h>

#include "cp/cp.h"

subq_status cp_group_alloc(subq_context *ctx, int rank, int size, const cp_backend *backend,
                           subq_cp_group **out)
{
    subq_cp_group *g = calloc(1, sizeof *g);
    if (!g) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "out of host memory creating a context-parallel group");
    *g = (subq_cp_group){.ctx = ctx, .rank = rank, .size = size, .backend = backend};
    *out = g;
    return SUBQ_OK;
}

void subq_cp_group_destroy(subq_cp_group *g)
{
    if (!g) return;
    g->backend->destroy(g);
    free(g);
}

int subq_cp_group_rank(const subq_cp_group *g) { return g ? g->rank : -1; }
int subq_cp_group_size(const subq_cp_group *g) { return g ? g->size : 0; }
