/* VkFFT plan binaries (saveApplicationToString) on disk, next to the pipeline cache: one file per
 * plan, valid only for the same VkFFT version, plan key, device and driver, all checked. */
#ifndef SUBQ_FFT_PLAN_DISK_H
#define SUBQ_FFT_PLAN_DISK_H

#include "fft/fft_plan.h"

/* The saved binary (free() it), or NULL: caching off, no file, or a file that does not match or
 * fails its checksum (then it is ignored, and overwritten by the next save). */
void *subq_fft_plan_disk_load(const subq_context *ctx, uint32_t vkfft_version, const subq_fft_plan_key *key,
                              size_t *bytes);
void subq_fft_plan_disk_save(const subq_context *ctx, uint32_t vkfft_version, const subq_fft_plan_key *key,
                             const void *binary, size_t bytes);

#endif
