/* subq: subquadratic sequence operators on any GPU through Vulkan compute.
 *
 * Conventions of this header:
 *  - every call that can fail returns a subq_status; on failure subq_last_error() holds a sentence
 *    naming the argument at fault and what was expected (per thread);
 *  - objects are opaque handles created by subq_<noun>_create and released by subq_<noun>_destroy;
 *  - options structs mean "default" where zero: pass NULL or a zeroed struct for the defaults;
 *  - no Vulkan type appears here (subq_vulkan.h is the header for hosts that own a Vulkan device). */
#ifndef SUBQ_H
#define SUBQ_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SUBQ_MAX_RANK 5

typedef enum subq_status {
    SUBQ_OK = 0,
    SUBQ_ERROR_INVALID_ARGUMENT,
    SUBQ_ERROR_OUT_OF_MEMORY,
    SUBQ_ERROR_UNSUPPORTED,
    SUBQ_ERROR_NO_DEVICE,
    SUBQ_ERROR_DEVICE_LOST,
    SUBQ_ERROR_VULKAN,
    SUBQ_ERROR_IO,
    SUBQ_ERROR_VALIDATION,
} subq_status;

const char *subq_status_name(subq_status status);
/* The message of the last call that failed on this thread ("" if none failed). */
const char *subq_last_error(void);

/* ---- devices ------------------------------------------------------------------------------ */

typedef enum subq_device_type {
    SUBQ_DEVICE_OTHER = 0,
    SUBQ_DEVICE_INTEGRATED_GPU,
    SUBQ_DEVICE_DISCRETE_GPU,
    SUBQ_DEVICE_VIRTUAL_GPU,
    SUBQ_DEVICE_CPU,
} subq_device_type;

typedef struct subq_device_info {
    char name[256];
    char driver_name[256];
    char driver_info[256];
    subq_device_type type;
    uint32_t vendor_id;
    uint32_t device_id;
    uint32_t driver_version;
    uint32_t api_version;
    uint8_t device_uuid[16];
    uint64_t device_local_bytes;
    uint32_t max_workgroup_size[3];
    uint32_t max_workgroup_invocations;
    uint32_t max_workgroup_count[3];
    uint32_t max_shared_memory_bytes;
    uint64_t max_storage_buffer_range;
    uint32_t max_push_constants_bytes;
    uint32_t min_storage_buffer_offset_alignment;
    uint32_t subgroup_size;
    float timestamp_period_ns; /* 0 when the compute queue has no timestamps */
    int has_float16_arithmetic;
    int has_int8_arithmetic;
    int has_16bit_storage;
    int has_8bit_storage;
    int has_external_memory_fd;
    int has_cooperative_matrix; /* f16 tensor-core products (VK_NV_cooperative_matrix 16x16x16) */
    int has_subgroup_arithmetic; /* subgroupAdd and its kin in compute shaders */
} subq_device_info;

subq_status subq_device_count(uint32_t *count);
subq_status subq_device_get_info(uint32_t index, subq_device_info *info);
/* The device a default context would use: SUBQ_DEVICE (an index or a name substring) if set, else
 * the best by type: discrete > integrated > virtual > CPU. */
subq_status subq_device_choose(const char *selector, uint32_t *index);

/* ---- context ------------------------------------------------------------------------------ */

typedef enum subq_toggle {
    SUBQ_TOGGLE_DEFAULT = 0,
    SUBQ_TOGGLE_ON,
    SUBQ_TOGGLE_OFF,
} subq_toggle;

typedef struct subq_context_options {
    const char *device;          /* index or name substring; NULL: SUBQ_DEVICE, else the best */
    subq_toggle validation;      /* Khronos validation layer; default: SUBQ_VALIDATION=1 turns it on */
    subq_toggle pipeline_cache;  /* on-disk pipeline cache; default on (SUBQ_PIPELINE_CACHE=0: off) */
    const char *cache_dir;       /* NULL: $SUBQ_CACHE_DIR, $XDG_CACHE_HOME/subq or ~/.cache/subq */
    subq_toggle pipeline_statistics; /* the compiler's statistics of every pipeline (registers, ...) in
                                        profiles; needs VK_KHR_pipeline_executable_properties;
                                        default: SUBQ_PIPELINE_STATISTICS=1 turns it on */
} subq_context_options;

typedef struct subq_context subq_context;

subq_status subq_context_create(const subq_context_options *options, subq_context **context);
void subq_context_destroy(subq_context *context);
subq_status subq_context_get_device_info(const subq_context *context, subq_device_info *info);
/* Validation-layer warnings and errors seen so far (always 0 without validation). */
uint32_t subq_context_validation_message_count(const subq_context *context);

/* ---- tensors ------------------------------------------------------------------------------ */

typedef enum subq_dtype {
    SUBQ_F32 = 0,
    SUBQ_F16,
    SUBQ_BF16,
    SUBQ_I32,
} subq_dtype;

typedef struct subq_tensor subq_tensor;
typedef struct subq_stream subq_stream;

size_t subq_dtype_size(subq_dtype dtype);
const char *subq_dtype_name(subq_dtype dtype);

/* A new dense row-major tensor in device memory; its contents are undefined until written. */
subq_status subq_tensor_create(subq_context *context, subq_dtype dtype, int rank,
                               const int64_t *shape, subq_tensor **tensor);
/* A view of base's storage: offset and strides in elements; strides NULL means row-major dense. */
subq_status subq_tensor_view(const subq_tensor *base, int64_t offset, int rank, const int64_t *shape,
                             const int64_t *strides, subq_tensor **view);
/* Release a tensor or view; storage lives until its last view is released. Not while a stream that
 * uses it has work in flight. */
void subq_tensor_destroy(subq_tensor *tensor);

/* Copy between host memory and a dense (row-major, no gaps) tensor; bytes must equal its size.
 * Synchronous: returns when the copy is complete. */
subq_status subq_tensor_upload(subq_tensor *tensor, const void *host, size_t bytes);
subq_status subq_tensor_download(const subq_tensor *tensor, void *host, size_t bytes);

/* Record into a stream a copy between tensors of the same shape, any strides (e.g. a layout change
 * through a permuted view). Float tensors may differ in dtype: f32, f16 and bf16 convert (to the
 * nearest, ties to even); i32 copies only to i32. */
subq_status subq_tensor_copy(subq_stream *stream, const subq_tensor *source, subq_tensor *destination);

subq_dtype subq_tensor_dtype(const subq_tensor *tensor);
int subq_tensor_rank(const subq_tensor *tensor);
int64_t subq_tensor_dim(const subq_tensor *tensor, int axis);
int64_t subq_tensor_stride(const subq_tensor *tensor, int axis);
int64_t subq_tensor_numel(const subq_tensor *tensor);

/* ---- streams: ops record into a stream; submit sends them as one batch ----------------------- */

subq_status subq_stream_create(subq_context *context, subq_stream **stream);
void subq_stream_destroy(subq_stream *stream);
/* Send everything recorded since the last submit to the GPU; does not wait. */
subq_status subq_stream_submit(subq_stream *stream);
/* Wait until all submitted work has finished. */
subq_status subq_stream_wait(subq_stream *stream);
/* GPU time in milliseconds of the most recent finished submission (timestamps around the batch). */
subq_status subq_stream_gpu_time_ms(const subq_stream *stream, double *milliseconds);

/* Per-dispatch GPU times, to see where a forward spends its time. While profiling is on, the stream
 * puts a full barrier and a timestamp after every dispatch (so dispatches no longer overlap: slower
 * in total, exact per dispatch); subq_stream_profile gives the dispatches of the most recent
 * finished submission in recording order, the first SUBQ_PROFILE_MAX of them. Switching waits for
 * the stream's submitted work and needs nothing recorded but unsubmitted. */
#define SUBQ_PROFILE_MAX 1024
typedef struct subq_profile_entry {
    const char *kernel;     /* the shader's name; "vkfft" for a VkFFT transform */
    double ms;
    const char *statistics; /* with options.pipeline_statistics on, what the driver's compiler reports
                               of the kernel's pipeline ("Register Count 96, ..."); otherwise NULL */
} subq_profile_entry;
subq_status subq_stream_set_profiling(subq_stream *stream, int enabled);
/* entries stay valid until the stream's next finished submission or the end of profiling. */
subq_status subq_stream_profile(const subq_stream *stream, const subq_profile_entry **entries, int *count);

/* ---- shared by operators ------------------------------------------------------------------ */

/* Elementwise activations, computed in fp32 as PyTorch's functions of the same name define them.
 * Shaders share them through shaders/activation.glsl (subq_activate). */
typedef enum subq_activation {
    SUBQ_ACTIVATION_NONE = 0,
    SUBQ_ACTIVATION_SILU,      /* x / (1 + exp(-x)); PyTorch's "silu" and "swish" */
    SUBQ_ACTIVATION_SIGMOID,   /* 1 / (1 + exp(-x)) */
    SUBQ_ACTIVATION_GELU,      /* x/2 * (1 + erf(x / sqrt(2))): F.gelu(approximate='none') */
    SUBQ_ACTIVATION_GELU_TANH, /* x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))): approximate='tanh' */
    SUBQ_ACTIVATION_SOFTPLUS,  /* log(1 + exp(x)), x itself above 20: F.softplus(beta=1, threshold=20) */
} subq_activation;

#ifdef __cplusplus
}
#endif

/* Operators, one header per family. */
#include "subq/depthwise_conv.h"
#include "subq/causal_conv1d.h"
#include "subq/nn.h"
#include "subq/ckconv.h"
#include "subq/fft_conv.h"
#include "subq/parameters.h"
#include "subq/hyena.h"
#include "subq/safetensors.h"
#include "subq/model.h"
#include "subq/s4.h"
#include "subq/cp.h"

#endif
