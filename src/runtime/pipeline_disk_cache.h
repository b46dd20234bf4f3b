/* The VkPipelineCache kept on disk between processes, so a second start skips driver compiles. */
#ifndef SUBQ_PIPELINE_DISK_CACHE_H
#define SUBQ_PIPELINE_DISK_CACHE_H

#include "runtime/runtime.h"

/* Creates ctx->pipelines.cache, seeded from a file in ctx->cache_dir when one for this exact device
 * and driver exists and is intact; anything else on disk is ignored. */
subq_status subq_pipeline_disk_cache_open(subq_context *ctx);
/* Writes the cache back (atomically, through a rename) and destroys it. */
void subq_pipeline_disk_cache_close(subq_context *ctx);

#endif
