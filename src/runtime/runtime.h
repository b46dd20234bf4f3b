/* Internal runtime: what ops need to record work. Not installed; ops include this, hosts never do. */
#ifndef SUBQ_RUNTIME_H
#define SUBQ_RUNTIME_H

#include <stdatomic.h>
#include <stdbool.h>
#include <threads.h>

#include <volk.h>

#include "subq/subq.h"
#include "runtime/error.h"

/* ---- memory: device-local blocks, each one VkBuffer, sub-allocated first-fit ---------------- */

typedef struct subq_block subq_block;

typedef struct subq_allocation {
    subq_block *block;
    VkDeviceSize offset;
    VkDeviceSize size;
} subq_allocation;

typedef struct subq_memory {
    mtx_t lock;
    subq_block *blocks;
    VkDeviceSize block_size;
    VkDeviceSize heap_bytes;
    uint32_t memory_type;
} subq_memory;

VkBuffer subq_block_buffer(const subq_block *block);

/* ---- pipelines -------------------------------------------------------------------------- */

typedef struct subq_shader {
    const char *name;
    const uint32_t *code;
    size_t bytes;
} subq_shader;

#define SUBQ_MAX_SPEC_CONSTANTS 10
#define SUBQ_MAX_BINDINGS 10 /* ckconv_siren.comp: grid, six weights, FiLM gamma and beta, kernel */

/* One compiled variant: shader + specialisation constants (constant_id i = spec[i]). By convention
 * constant_id 0 is the workgroup width. */
typedef struct subq_kernel {
    const subq_shader *shader;
    uint32_t bindings;
    uint32_t push_bytes;
    uint32_t spec_count;
    uint32_t spec[SUBQ_MAX_SPEC_CONSTANTS];
} subq_kernel;

typedef struct subq_pipeline subq_pipeline;
typedef struct subq_pipeline_set {
    mtx_t lock;
    subq_pipeline *list;
    VkPipelineCache cache;
    char cache_path[1024];
} subq_pipeline_set;

/* ---- context ----------------------------------------------------------------------------- */

/* VkFFT plans of the FFT convolutions (src/fft/fft_plan.c). */
typedef struct subq_fft_plans subq_fft_plans;
/* Scratch of ops that pass data between their own dispatches (src/runtime/context_scratch.c). */
typedef struct subq_context_scratch subq_context_scratch;

typedef struct subq_staging {
    mtx_t lock;
    VkCommandPool pool;
    VkCommandBuffer cmd;
    VkFence fence;
    VkBuffer buffer;
    VkDeviceMemory memory;
    void *mapped;
    VkDeviceSize bytes;
} subq_staging;

struct subq_context {
    bool owns_device; /* false: the host's instance and device (subq_vulkan.h) */
    void (*lock_queue)(void *user);
    void (*unlock_queue)(void *user);
    void *queue_user;
    VkInstance instance;
    VkDebugUtilsMessengerEXT messenger;
    PFN_vkDestroyDebugUtilsMessengerEXT destroy_messenger;
    VkPhysicalDevice physical;
    VkDevice device;
    struct VolkDeviceTable vk;
    VkQueue queue;
    uint32_t queue_family;
    mtx_t queue_lock;
    subq_device_info info;
    VkPhysicalDeviceMemoryProperties memory_properties;
    subq_memory memory;
    subq_staging staging;
    subq_pipeline_set pipelines;
    subq_fft_plans *fft_plans;
    subq_context_scratch *scratch;
    bool timeline_semaphores; /* the feature is enabled on the device (subq's own contexts) */
    bool cooperative_matrix;  /* VK_NV_cooperative_matrix enabled (by subq, or by a host that says so) */
    bool pipeline_statistics; /* pipelines capture their compiler statistics (subq's own contexts) */
    char cache_dir[900]; /* the on-disk caches' directory; "" when they are off */
    atomic_uint validation_messages;
};

/* Allocate a context with its mutexes; the caller fills in the device, then calls
 * subq_context_start_services. */
subq_status subq_context_alloc(subq_context **out);
/* Memory, staging and pipelines, on ctx->device; fills ctx->info and memory properties. */
subq_status subq_context_start_services(subq_context *ctx, const subq_context_options *options);

/* Submit one command buffer on the context's queue (serialised: the queue may be shared). */
subq_status subq_queue_submit(subq_context *ctx, VkCommandBuffer cmd, VkFence fence);

/* Timeline semaphore operations around one submission (context parallelism orders Vulkan work
 * against CUDA work with them). */
#define SUBQ_MAX_SEMAPHORE_WAITS 4
typedef struct subq_queue_sync {
    uint32_t wait_count;
    VkSemaphore wait[SUBQ_MAX_SEMAPHORE_WAITS];
    uint64_t wait_value[SUBQ_MAX_SEMAPHORE_WAITS];
    VkSemaphore signal; /* VK_NULL_HANDLE: none */
    uint64_t signal_value;
} subq_queue_sync;
subq_status subq_queue_submit_sync(subq_context *ctx, VkCommandBuffer cmd, VkFence fence,
                                   const subq_queue_sync *sync);
/* Hold the queue for code that submits by itself (VkFFT's plan creation uploads tables). */
void subq_queue_lock(subq_context *ctx);
void subq_queue_unlock(subq_context *ctx);
/* SUBQ_TIMEOUT_S, default 600: how long subq waits for a GPU (or a peer rank) before giving up. */
double subq_timeout_seconds(void);
/* Wait for a fence; a GPU that never answers becomes SUBQ_ERROR_DEVICE_LOST, not a hang. */
subq_status subq_fence_wait(subq_context *ctx, VkFence fence, const char *what);
/* A full compute/transfer memory barrier: orders a command buffer after earlier submissions. */
void subq_cmd_full_barrier(const subq_context *ctx, VkCommandBuffer cmd);

subq_status subq_memory_init(subq_context *ctx);
void subq_memory_release(subq_context *ctx);
subq_status subq_memory_alloc(subq_context *ctx, VkDeviceSize bytes, subq_allocation *out);
/* A block of its own: the allocation starts at offset 0 of its VkBuffer. */
subq_status subq_memory_alloc_dedicated(subq_context *ctx, VkDeviceSize bytes, subq_allocation *out);
void subq_memory_free(subq_context *ctx, subq_allocation *allocation);

subq_status subq_staging_init(subq_context *ctx);
void subq_staging_release(subq_context *ctx);
subq_status subq_staging_write(subq_context *ctx, VkBuffer buffer, VkDeviceSize offset,
                               const void *host, VkDeviceSize bytes);
subq_status subq_staging_read(subq_context *ctx, VkBuffer buffer, VkDeviceSize offset, void *host,
                              VkDeviceSize bytes);

subq_status subq_pipelines_init(subq_context *ctx);
void subq_pipelines_release(subq_context *ctx);
subq_status subq_pipeline_get(subq_context *ctx, const subq_kernel *kernel, subq_pipeline **out);
VkPipeline subq_pipeline_handle(const subq_pipeline *pipeline);
VkPipelineLayout subq_pipeline_layout(const subq_pipeline *pipeline);
/* The compiler's statistics captured at creation (subq_context_options.pipeline_statistics), or NULL. */
const char *subq_pipeline_statistics(const subq_pipeline *pipeline);

subq_status subq_fft_plans_init(subq_context *ctx);
void subq_fft_plans_release(subq_context *ctx);
subq_status subq_context_scratch_init(subq_context *ctx);
void subq_context_scratch_release(subq_context *ctx);

/* ---- tensors ----------------------------------------------------------------------------- */

/* Device memory under tensors: an allocation of subq's, or a range of a host application's buffer
 * (allocation.block NULL), which subq never frees. */
typedef struct subq_storage {
    subq_context *ctx;
    subq_allocation allocation; /* may be larger than asked: sizes round up to the alignment */
    VkBuffer buffer;
    VkDeviceSize offset;        /* of the storage's first byte in buffer */
    VkDeviceSize bytes;
    atomic_int refs;
} subq_storage;

struct subq_tensor {
    subq_storage *storage;
    subq_dtype dtype;
    int rank;
    int64_t shape[SUBQ_MAX_RANK];
    int64_t strides[SUBQ_MAX_RANK];
    int64_t offset; /* elements from the start of the storage */
};

/* Where a tensor binds: the offset rounded down to the device's alignment, the elements between
 * that and the tensor's first element (which the shader adds), and the bytes the binding covers. */
typedef struct subq_binding {
    VkBuffer buffer;
    VkDeviceSize offset;
    VkDeviceSize range;
    uint32_t first_element;
} subq_binding;

subq_binding subq_tensor_binding(const subq_tensor *tensor);
/* shaders/dtype.glsl's DTYPES specialisation constant for tensors in binding order: two bits per
 * binding, 0 f32 (and NULL), 1 f16, 2 bf16. */
uint32_t subq_tensor_dtype_codes(int count, const subq_tensor *const *tensors);
/* plain when every tensor (NULL entries skipped) is f32, else wide: its SUBQ_16BIT build. */
const subq_shader *subq_shader_for_dtypes(const subq_shader *plain, const subq_shader *wide, int count,
                                          const subq_tensor *const *tensors);
/* A dense tensor alone in its VkBuffer, from byte 0: for code that binds whole buffers at offset 0
 * (VkFFT). */
subq_status subq_tensor_create_dedicated(subq_context *ctx, subq_dtype dtype, int rank, const int64_t *shape,
                                         subq_tensor **tensor);
/* Elements between the first and one past the last element the tensor can address. */
int64_t subq_tensor_span(const subq_tensor *tensor);
bool subq_tensor_is_dense(const subq_tensor *tensor);
/* Axes axis .. rank - 1 row-major without gaps (one block per index of the axes before). */
bool subq_tensor_dense_from(const subq_tensor *tensor, int axis);
/* Byte ranges in the same buffer that intersect. */
bool subq_tensors_overlap(const subq_tensor *a, const subq_tensor *b);
/* Views that share an element (exact for interleaved views; when the search gives up, true). */
bool subq_tensors_share_elements(const subq_tensor *a, const subq_tensor *b);

/* ---- streams ----------------------------------------------------------------------------- */

typedef struct subq_arg {
    const subq_tensor *tensor;
    bool writes;
} subq_arg;

/* Record one dispatch; adds a barrier first only if an argument touches memory that an earlier
 * dispatch since the last barrier wrote (or writes memory one read). */
subq_status subq_stream_dispatch(subq_stream *stream, const subq_kernel *kernel, const subq_arg *args,
                                 const void *push, const uint32_t groups[3]);
subq_context *subq_stream_context(const subq_stream *stream);
/* Commands recorded by code other than subq_stream_dispatch (VkFFT): begin gives the command
 * buffer to record into, after a full barrier (foreign code orders itself against nothing before
 * it); end adds a full barrier and forgets the tracked ranges, which the foreign commands made
 * incomplete. */
subq_status subq_stream_foreign_begin(subq_stream *stream, VkCommandBuffer *cmd);
void subq_stream_foreign_end(subq_stream *stream);
/* Work outside Vulkan (CUDA) between two batches of a stream: submit ends the batch being
 * recorded (an empty one if none) signalling a timeline semaphore to value when it completes;
 * wait makes the stream's next submission wait for a semaphore to reach value before its
 * commands run. Neither is allowed on a stream that records into a host command buffer. */
subq_status subq_stream_submit_signal(subq_stream *stream, VkSemaphore semaphore, uint64_t value);
subq_status subq_stream_wait_semaphore(subq_stream *stream, VkSemaphore semaphore, uint64_t value);
/* Whether the stream records into a host command buffer (the host submits it). */
bool subq_stream_is_external(const subq_stream *stream);

/* Workgroup counts for `invocations` threads in groups of `width`, spread over x and y so that
 * no count exceeds the device limit; shaders rebuild the linear index from gl_NumWorkGroups.x. */
subq_status subq_groups_1d(const subq_context *ctx, uint64_t invocations, uint32_t width,
                           uint32_t groups[3]);

#endif
