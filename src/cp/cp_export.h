/* Vulkan objects shared with CUDA (the NCCL backend): a dedicated, exportable buffer imported as
 * CUDA device memory, and an exportable timeline semaphore imported as a CUDA semaphore. */
#ifndef SUBQ_CP_EXPORT_H
#define SUBQ_CP_EXPORT_H

#include "cp/cuda_api.h"
#include "runtime/runtime.h"

typedef struct cp_shared_buffer {
    VkBuffer buffer;
    VkDeviceMemory memory;
    cu_external_memory external;
    cu_deviceptr pointer; /* the same bytes, for CUDA */
    subq_tensor *tensor;  /* 1-D f32 over the whole buffer, for Vulkan */
} cp_shared_buffer;

typedef struct cp_shared_semaphore {
    VkSemaphore semaphore;
    cu_external_semaphore external;
} cp_shared_semaphore;

/* The CUDA context of the device must be current. On failure nothing is left allocated. */
subq_status cp_shared_buffer_create(subq_context *ctx, const cuda_api *cu, VkDeviceSize bytes, cp_shared_buffer *b);
void cp_shared_buffer_destroy(subq_context *ctx, const cuda_api *cu, cp_shared_buffer *b);
subq_status cp_shared_semaphore_create(subq_context *ctx, const cuda_api *cu, cp_shared_semaphore *s);
void cp_shared_semaphore_destroy(subq_context *ctx, const cuda_api *cu, cp_shared_semaphore *s);

#endif
