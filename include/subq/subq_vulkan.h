/* Embedding subq in an application that already owns Vulkan (a game or graphics engine, a desktop
 * app): subq works on the host's instance, device and queue, on the host's buffers, and can record
 * into the host's command buffers. subq never destroys, waits idle on, or otherwise assumes it owns
 * anything it is given here.
 *
 * Synchronisation:
 *  - Recording into a host command buffer (subq_stream_create_vulkan): before its first command subq
 *    records a barrier from ALL_COMMANDS / MEMORY_WRITE to COMPUTE_SHADER + TRANSFER, so whatever the
 *    host wrote earlier in submission order is visible. After subq's last command the host must
 *    record its own barrier from COMPUTE_SHADER / SHADER_WRITE to the stage that reads the results.
 *    The host submits and waits; subq_stream_submit and subq_stream_wait refuse such a stream.
 *  - Submitting on the host's queue (streams from subq_stream_create, uploads, downloads): every
 *    vkQueueSubmit subq makes goes through the host's queue lock when one is given, otherwise
 *    through a mutex of subq's own (enough when only subq submits on that queue).
 *  - Tensors wrapping host buffers: the host must not write them while subq work that reads them is
 *    in flight, nor read them before that work is done (fence, semaphore or the host's own wait). */
#ifndef SUBQ_VULKAN_H
#define SUBQ_VULKAN_H

#ifndef VK_NO_PROTOTYPES
#define VK_NO_PROTOTYPES
#endif
#include <vulkan/vulkan.h>

#include "subq/subq.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The device extensions subq needs enabled on a host device (VK_KHR_push_descriptor). NULL-
 * terminated; static storage. Optional ones (external memory for context parallelism,
 * VK_NV_cooperative_matrix for f16 Linear on tensor cores) are listed by
 * subq_vulkan_optional_device_extensions. Core Vulkan 1.1 is required. */
const char *const *subq_vulkan_required_device_extensions(void);
const char *const *subq_vulkan_optional_device_extensions(void);

typedef struct subq_vulkan_device {
    PFN_vkGetInstanceProcAddr get_instance_proc_addr; /* the host's loader entry point */
    VkInstance instance;
    VkPhysicalDevice physical_device;
    VkDevice device;
    uint32_t queue_family_index; /* must support compute */
    VkQueue queue;
    /* Optional: the host's lock around vkQueueSubmit when it submits on the same queue. */
    void (*lock_queue)(void *user);
    void (*unlock_queue)(void *user);
    void *user;
    /* Nonzero: the host enabled VK_NV_cooperative_matrix with its cooperativeMatrix feature and
     * the vulkanMemoryModel feature, so subq may use tensor cores. */
    int cooperative_matrix_enabled;
} subq_vulkan_device;

/* A context on the host's device. options->device and options->validation are ignored (the host
 * chose the device and its layers); the pipeline cache options apply. */
subq_status subq_context_create_vulkan(const subq_vulkan_device *host, const subq_context_options *options,
                                       subq_context **context);

/* A tensor over [offset, offset + size) of a host buffer created with STORAGE_BUFFER usage (and
 * TRANSFER_SRC/DST for uploads and downloads). The shape must fit in size. */
subq_status subq_tensor_wrap_vulkan_buffer(subq_context *context, VkBuffer buffer, VkDeviceSize offset,
                                           VkDeviceSize size, subq_dtype dtype, int rank,
                                           const int64_t *shape, subq_tensor **tensor);

/* A stream whose operators record into the host's command buffer, which must be in the
 * recording state whenever an operator is called on it. */
subq_status subq_stream_create_vulkan(subq_context *context, VkCommandBuffer command_buffer,
                                      subq_stream **stream);

#ifdef __cplusplus
}
#endif

#endif
