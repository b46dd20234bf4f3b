/* Files under the on-disk cache directory (pipelines, FFT plans): where it is, and writing a file
 * so that a reader never sees it half written. */
#ifndef SUBQ_DISK_CACHE_H
#define SUBQ_DISK_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "subq/subq.h"

/* The cache directory for these options into dir: options->cache_dir, $SUBQ_CACHE_DIR,
 * $XDG_CACHE_HOME/subq or ~/.cache/subq; "" when the on-disk caches are off
 * (options->pipeline_cache, SUBQ_PIPELINE_CACHE=0) or no directory can be named. */
void subq_disk_cache_dir(const subq_context_options *options, char *dir, size_t size);

/* header then data into path, through a temporary file and a rename; creates missing
 * directories. Failure is silent: the cache is an optimisation, a read-only home is no error. */
void subq_disk_cache_write(const char *path, const void *header, size_t header_bytes, const void *data,
                           size_t data_bytes);

/* FNV-1a over bytes, continuing from hash (start with SUBQ_FNV_OFFSET): file checksums and keys. */
#define SUBQ_FNV_OFFSET 0xcbf29ce484222325ull
unsigned long long subq_fnv1a(unsigned long long hash, const void *bytes, size_t size);

#endif
