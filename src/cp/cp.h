/* Context-parallel groups: what the operators (cp_ops.c) need from a backend (cp_local.c,
 * cp_nccl.c). */
#ifndef SUBQ_CP_INTERNAL_H
#define SUBQ_CP_INTERNAL_H

#include "runtime/runtime.h"
#include "subq/cp.h"

/* What every rank of a collective must agree on before data moves. */
typedef struct cp_call {
    int32_t op; /* cp_op */
    int32_t ok; /* 0: this rank refused its arguments */
    int32_t dtype, rank;
    int64_t x_shape[SUBQ_MAX_RANK], y_shape[SUBQ_MAX_RANK];
} cp_call;

typedef enum cp_op { CP_SPLIT_TO_FULL = 1, CP_FULL_TO_SPLIT } cp_op;

typedef struct cp_backend {
    /* Every rank's call into all[0..size); returns when all ranks have posted theirs. */
    subq_status (*agree)(subq_cp_group *g, const cp_call *mine, cp_call *all);
    /* g->send and g->recv hold at least bytes each (contents need not survive); growing waits for
     * the stream first, whose recorded work may use the old buffers. */
    subq_status (*reserve)(subq_cp_group *g, subq_stream *stream, VkDeviceSize bytes);
    /* The stream holds the pack into g->send: P blocks of block_bytes, block q for rank q. Moves
     * each rank's block r into block (its rank) of rank r's g->recv, and leaves the stream so that
     * what is recorded next reads g->recv after the move. packed false: this rank's pack failed;
     * it takes part anyway (its peers are waiting), and the local backend fails its peers too. */
    subq_status (*exchange)(subq_cp_group *g, subq_stream *stream, VkDeviceSize block_bytes, bool packed);
    /* Makes the stream's next work wait for the group's last exchange (before a pack overwrites
     * g->send). */
    subq_status (*order)(subq_cp_group *g, subq_stream *stream);
    void (*destroy)(subq_cp_group *g);
} cp_backend;

struct subq_cp_group {
    subq_context *ctx;
    int rank, size;
    const cp_backend *backend;
    subq_tensor *send, *recv; /* 1-D f32 over the whole buffer; NULL until first reserved */
    VkDeviceSize capacity;    /* bytes of each */
    void *impl;               /* the backend's state */
};

/* A group with its common fields; the backend fills impl. */
subq_status cp_group_alloc(subq_context *ctx, int rank, int size, const cp_backend *backend,
                           subq_cp_group **out);

#endif
