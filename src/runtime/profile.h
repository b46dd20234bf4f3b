/* Per-dispatch GPU times of a stream (subq_stream_set_profiling): a timestamp after every dispatch,
 * each behind a full barrier so that dispatches do not overlap and the differences are their times.
 * Two halves of one query pool, one per command buffer of the stream. */
#ifndef SUBQ_RUNTIME_PROFILE_H
#define SUBQ_RUNTIME_PROFILE_H

#include "runtime/runtime.h"

typedef struct subq_profile subq_profile;

subq_status subq_profile_create(subq_context *ctx, subq_profile **profile);
void subq_profile_destroy(subq_context *ctx, subq_profile *profile);
/* The first timestamp of command buffer `half`, recorded when its batch begins. */
void subq_profile_begin(subq_context *ctx, subq_profile *profile, VkCommandBuffer cmd, int half);
/* After a dispatch: barrier, timestamp, and the name it is reported under (a static string) with
 * its pipeline's statistics (owned by the pipeline, which lives as long as the context; or NULL). */
void subq_profile_mark(subq_context *ctx, subq_profile *profile, VkCommandBuffer cmd, int half, const char *name,
                       const char *statistics);
/* Once the batch of `half` has finished: its times become the ones subq_profile_entries gives. */
void subq_profile_collect(subq_context *ctx, subq_profile *profile, int half);
void subq_profile_entries(const subq_profile *profile, const subq_profile_entry **entries, int *count);

#endif
