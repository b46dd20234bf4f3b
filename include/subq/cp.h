/* Context parallelism (SPEC.md section 6): a group of P ranks, each holding a zigzag slice of the
 * sequence, and the all-to-all operators that move between "split" (every channel, L/P positions)
 * and "full" (C/P channels, every position). Included by subq.h.
 *
 * Collectives: every rank of a group calls the same operator, in the same order, with tensors of
 * the same shapes. The ranks agree on the arguments before any data moves: when one rank's
 * arguments are bad, or the ranks' shapes differ, every rank gets SUBQ_ERROR_INVALID_ARGUMENT
 * and nothing is recorded.
 *
 * Backends:
 *  - local: P ranks in one process, one context each (lavapipe can back several), each rank
 *    driven from its own thread exactly as a process would drive it; data goes through host
 *    memory. For tests, and for machines without NCCL. A rank that does not arrive within
 *    SUBQ_TIMEOUT_S fails its peers' call rather than hanging them.
 *  - NCCL: one process per GPU. The exchange runs on CUDA memory imported from the context's
 *    Vulkan memory, ordered against Vulkan by an exported timeline semaphore; nothing passes
 *    through host memory. libcuda.so.1 and libnccl.so.2 are loaded at run time (override the
 *    names with SUBQ_CUDA_LIBRARY and SUBQ_NCCL_LIBRARY); without them these calls answer
 *    SUBQ_ERROR_UNSUPPORTED and the rest of subq works as before. */
#ifndef SUBQ_CP_H
#define SUBQ_CP_H

#include "subq/subq.h"
#include "subq/depthwise_conv.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct subq_cp_group subq_cp_group;

/* size groups over size contexts of one process: groups[r] is rank r on contexts[r]. The groups
 * share their rendezvous; destroy each (any order). */
subq_status subq_cp_group_create_local(int size, subq_context *const *contexts, subq_cp_group **groups);

/* The NCCL unique id every rank of a group must share (ncclUniqueId). */
#define SUBQ_NCCL_ID_BYTES 128
#define SUBQ_NCCL_ID_TEXT_BYTES (2 * SUBQ_NCCL_ID_BYTES + 1) /* hex digits and a NUL */
typedef struct subq_nccl_id {
    uint8_t bytes[SUBQ_NCCL_ID_BYTES];
} subq_nccl_id;

/* A fresh id (ncclGetUniqueId). The process that makes it serves NCCL's bootstrap: it must be one
 * of the ranks (rank 0 by convention) or stay alive until every rank has joined. */
subq_status subq_nccl_id_create(subq_nccl_id *id);
subq_status subq_nccl_id_to_text(const subq_nccl_id *id, char text[SUBQ_NCCL_ID_TEXT_BYTES]);
subq_status subq_nccl_id_from_text(const char *text, subq_nccl_id *id);
/* The id of a job, the same on every rank:
 *  - SUBQ_NCCL_ID set (hex, from subq_nccl_id_to_text): that id, on every rank; the launcher got it
 *    from a process that serves the bootstrap (see subq_nccl_id_create);
 *  - otherwise through the file at path: rank 0 makes an id and writes it there (atomically, by
 *    rename); the other ranks wait for the file (up to SUBQ_TIMEOUT_S). Across nodes the path must
 *    be on a file system every node sees. Use a fresh path per job: an old file is read as is.
 * (NCCL's own NCCL_COMM_ID=host:port also works: then every rank may call subq_nccl_id_create.) */
subq_status subq_nccl_id_rendezvous(const char *path, int rank, subq_nccl_id *id);

/* Rank `rank` of `size` on the context's device, which is paired with its CUDA device by UUID.
 * Every rank calls this with the same id and size (it returns when all have joined). The context
 * needs VK_KHR_external_memory_fd, VK_KHR_external_semaphore_fd and timeline semaphores (subq's own
 * contexts enable them where the driver has them). */
subq_status subq_cp_group_create_nccl(subq_context *context, int rank, int size, const subq_nccl_id *id,
                                      subq_cp_group **group);

void subq_cp_group_destroy(subq_cp_group *group);
int subq_cp_group_rank(const subq_cp_group *group); /* -1 for NULL */
int subq_cp_group_size(const subq_cp_group *group); /* 0 for NULL */

/* x [B, C, L/P, *R] on every rank (this rank's zigzag chunks r and 2P-1-r of length L/(2P), in
 * that order) -> y [B, C/P, L, *R] (channels [r*C/P, (r+1)*C/P), positions in natural order).
 * Rank 3..5 (up to two trailing spatial axes R), f32, any strides; y must not overlap x.
 * C % P and L % 2P must be 0. Records into stream; the result is ready for the operators
 * recorded after it on the same stream. The local backend submits and waits on the stream.
 * The group keeps send and receive buffers the size of x; a call with larger tensors than any
 * before grows them, and first waits for the stream (run a group's collectives on one stream, or
 * wait for the previous stream before switching). */
subq_status subq_cp_split_to_full(subq_stream *stream, subq_cp_group *group, const subq_tensor *x,
                                  subq_tensor *y);
/* The inverse: x [B, C/P, L, *R] -> y [B, C, L/P, *R]. */
subq_status subq_cp_full_to_split(subq_stream *stream, subq_cp_group *group, const subq_tensor *x,
                                  subq_tensor *y);

/* subq_depthwise_conv on this rank's channel slice (DistributedDepthwiseConvNd): the group sets
 * options.cp_rank and cp_size (options may leave them 0, or must agree with the group). Local;
 * no data moves. */
subq_status subq_cp_depthwise_conv(subq_stream *stream, const subq_cp_group *group, const subq_tensor *x,
                                   const subq_tensor *weight, const subq_tensor *bias,
                                   const subq_depthwise_conv_options *options, subq_tensor *y);

#ifdef __cplusplus
}
#endif

#endif
