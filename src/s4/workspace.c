/* subq_lrnnx_workspace: one growing buffer per slot; outgrown buffers retire, not free, since
 * recorded work may still read them. */
#include <stdlib.h>

#include "s4/spectral.h"

struct subq_lrnnx_workspace {
    subq_context *ctx;
    subq_tensor *slot[S4_SLOTS];
    subq_tensor **retired;
    int retired_count;
    subq_tensor *views[64]; /* handed out since the last reset of the ring */
    int view_next;
};

subq_status subq_lrnnx_workspace_create(subq_context *context, subq_lrnnx_workspace **workspace)
{
    if (!workspace) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "workspace: expected a non-NULL pointer");
    *workspace = NULL;
    if (!context) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "context: expected a context, got NULL");
    subq_lrnnx_workspace *ws = calloc(1, sizeof *ws);
    if (!ws) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "out of host memory for a workspace");
    ws->ctx = context;
    *workspace = ws;
    return SUBQ_OK;
}

void subq_lrnnx_workspace_destroy(subq_lrnnx_workspace *ws)
{
    if (!ws) return;
    for (int i = 0; i < 64; i++) subq_tensor_destroy(ws->views[i]);
    for (int i = 0; i < S4_SLOTS; i++) subq_tensor_destroy(ws->slot[i]);
    for (int i = 0; i < ws->retired_count; i++) subq_tensor_destroy(ws->retired[i]);
    free(ws->retired);
    free(ws);
}

subq_context *s4_workspace_context(const subq_lrnnx_workspace *ws) { return ws->ctx; }

static subq_status grow(subq_lrnnx_workspace *ws, int slot, int64_t numel)
{
    if (ws->slot[slot] && subq_tensor_numel(ws->slot[slot]) >= numel) return SUBQ_OK;
    subq_tensor *fresh;
    SUBQ_TRY(subq_tensor_create(ws->ctx, SUBQ_F32, 1, &numel, &fresh));
    if (ws->slot[slot]) {
        subq_tensor **list = realloc(ws->retired, (size_t)(ws->retired_count + 1) * sizeof *list);
        if (!list) {
            subq_tensor_destroy(fresh);
            return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "out of host memory for a workspace");
        }
        ws->retired = list;
        ws->retired[ws->retired_count++] = ws->slot[slot];
    }
    ws->slot[slot] = fresh;
    return SUBQ_OK;
}

/* Views are host objects only (they never own storage): keeping the last 64 alive is enough for
 * one call, and releasing older ones does not touch memory the GPU may still use. */
subq_status s4_workspace_tensor(subq_lrnnx_workspace *ws, int slot, int rank, const int64_t *shape,
                                subq_tensor **tensor)
{
    int64_t numel = 1;
    for (int i = 0; i < rank; i++) numel *= shape[i];
    SUBQ_TRY(grow(ws, slot, numel));
    subq_tensor_destroy(ws->views[ws->view_next]);
    ws->views[ws->view_next] = NULL;
    SUBQ_TRY(subq_tensor_view(ws->slot[slot], 0, rank, shape, NULL, tensor));
    ws->views[ws->view_next] = *tensor;
    ws->view_next = (ws->view_next + 1) % 64;
    return SUBQ_OK;
}
