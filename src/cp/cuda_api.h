/* The CUDA driver and NCCL entry points that context parallelism calls, loaded at run time
 * (dlopen) so that subq builds and runs on machines without CUDA. The declarations are subq's
 * own, written to the documented ABI of cuda.h and nccl.h: only what subq calls, with layouts
 * equal to the originals (CUDA_EXTERNAL_*_st, ncclUniqueId). */
#ifndef SUBQ_CP_CUDA_API_H
#define SUBQ_CP_CUDA_API_H

#include <stddef.h>
#include <stdint.h>

#include "subq/subq.h"

typedef int cu_result; /* CUresult: 0 is success */
typedef int cu_device;
typedef unsigned long long cu_deviceptr;
typedef struct cu_context_st *cu_context;
typedef struct cu_stream_st *cu_stream;
typedef struct cu_external_memory_st *cu_external_memory;
typedef struct cu_external_semaphore_st *cu_external_semaphore;

enum {
    CU_EXTERNAL_MEMORY_HANDLE_OPAQUE_FD = 1,
    CU_EXTERNAL_MEMORY_DEDICATED = 1,
    CU_EXTERNAL_SEMAPHORE_HANDLE_TIMELINE_FD = 9,
    CU_STREAM_NON_BLOCKING = 1,
};

typedef struct cu_external_memory_desc { /* CUDA_EXTERNAL_MEMORY_HANDLE_DESC */
    int type;
    union {
        int fd;
        void *win32[2];
    } handle;
    unsigned long long size;
    unsigned int flags;
    unsigned int reserved[16];
} cu_external_memory_desc;

typedef struct cu_external_buffer_desc { /* CUDA_EXTERNAL_MEMORY_BUFFER_DESC */
    unsigned long long offset, size;
    unsigned int flags;
    unsigned int reserved[16];
} cu_external_buffer_desc;

typedef struct cu_external_semaphore_desc { /* CUDA_EXTERNAL_SEMAPHORE_HANDLE_DESC */
    int type;
    union {
        int fd;
        void *win32[2];
    } handle;
    unsigned int flags;
    unsigned int reserved[16];
} cu_external_semaphore_desc;

typedef struct cu_semaphore_wait_params { /* CUDA_EXTERNAL_SEMAPHORE_WAIT_PARAMS */
    struct {
        unsigned long long fence_value;
        unsigned long long nv_sci_sync;
        struct {
            unsigned long long key;
            unsigned int timeout_ms;
        } keyed_mutex;
        unsigned int reserved[10];
    } params;
    unsigned int flags;
    unsigned int reserved[16];
} cu_semaphore_wait_params;

typedef struct cu_semaphore_signal_params { /* CUDA_EXTERNAL_SEMAPHORE_SIGNAL_PARAMS */
    struct {
        unsigned long long fence_value;
        unsigned long long nv_sci_sync;
        unsigned long long keyed_mutex_key;
        unsigned int reserved[12];
    } params;
    unsigned int flags;
    unsigned int reserved[16];
} cu_semaphore_signal_params;

typedef struct cuda_api {
    cu_result (*init)(unsigned int flags);
    cu_result (*get_error_string)(cu_result error, const char **text);
    cu_result (*device_get_count)(int *count);
    cu_result (*device_get)(cu_device *device, int ordinal);
    cu_result (*device_get_uuid)(uint8_t uuid[16], cu_device device);
    cu_result (*primary_ctx_retain)(cu_context *context, cu_device device);
    cu_result (*primary_ctx_release)(cu_device device);
    cu_result (*ctx_set_current)(cu_context context);
    cu_result (*stream_create)(cu_stream *stream, unsigned int flags);
    cu_result (*stream_destroy)(cu_stream stream);
    cu_result (*stream_synchronize)(cu_stream stream);
    cu_result (*mem_alloc)(cu_deviceptr *pointer, size_t bytes);
    cu_result (*mem_free)(cu_deviceptr pointer);
    cu_result (*memcpy_htod_async)(cu_deviceptr dst, const void *src, size_t bytes, cu_stream stream);
    cu_result (*memcpy_dtoh_async)(void *dst, cu_deviceptr src, size_t bytes, cu_stream stream);
    cu_result (*import_external_memory)(cu_external_memory *memory, const cu_external_memory_desc *desc);
    cu_result (*external_memory_get_mapped_buffer)(cu_deviceptr *pointer, cu_external_memory memory,
                                                   const cu_external_buffer_desc *desc);
    cu_result (*destroy_external_memory)(cu_external_memory memory);
    cu_result (*import_external_semaphore)(cu_external_semaphore *semaphore, const cu_external_semaphore_desc *desc);
    cu_result (*destroy_external_semaphore)(cu_external_semaphore semaphore);
    cu_result (*signal_external_semaphores_async)(const cu_external_semaphore *semaphores,
                                                  const cu_semaphore_signal_params *params, unsigned int count,
                                                  cu_stream stream);
    cu_result (*wait_external_semaphores_async)(const cu_external_semaphore *semaphores,
                                                const cu_semaphore_wait_params *params, unsigned int count,
                                                cu_stream stream);
} cuda_api;

typedef int nccl_result; /* ncclResult_t: 0 is success */
typedef struct nccl_comm_st *nccl_comm;
typedef struct nccl_unique_id {
    char internal[128];
} nccl_unique_id;
enum { NCCL_UINT8 = 1, NCCL_FLOAT32 = 7 };

typedef struct nccl_api {
    nccl_result (*get_version)(int *version);
    const char *(*get_error_string)(nccl_result result);
    nccl_result (*get_unique_id)(nccl_unique_id *id);
    nccl_result (*comm_init_rank)(nccl_comm *comm, int ranks, nccl_unique_id id, int rank);
    nccl_result (*comm_split)(nccl_comm comm, int color, int key, nccl_comm *out, void *config);
    nccl_result (*comm_destroy)(nccl_comm comm);
    nccl_result (*group_start)(void);
    nccl_result (*group_end)(void);
    nccl_result (*send)(const void *buffer, size_t count, int type, int peer, nccl_comm comm, cu_stream stream);
    nccl_result (*recv)(void *buffer, size_t count, int type, int peer, nccl_comm comm, cu_stream stream);
    nccl_result (*all_gather)(const void *send, void *recv, size_t count, int type, nccl_comm comm, cu_stream stream);
} nccl_api;

/* The loaded libraries (SUBQ_CUDA_LIBRARY / SUBQ_NCCL_LIBRARY, else libcuda.so.1 / libnccl.so.2);
 * a failure (SUBQ_ERROR_UNSUPPORTED) says which library and why, and is retried on the next call. */
subq_status subq_cuda_load(const cuda_api **api);
subq_status subq_nccl_load(const nccl_api **api);

/* SUBQ_ERROR_IO naming the call and CUDA's or NCCL's own words for the error. */
subq_status subq_cuda_fail(cu_result result, const char *call);
subq_status subq_nccl_fail(nccl_result result, const char *call);

#define SUBQ_CU_TRY(expr)                                               \
    do {                                                               \
        cu_result subq_cu_ = (expr);                                   \
        if (subq_cu_ != 0) return subq_cuda_fail(subq_cu_, #expr);     \
    } while (0)
#define SUBQ_NCCL_TRY(expr)                                            \
    do {                                                               \
        nccl_result subq_nccl_ = (expr);                               \
        if (subq_nccl_ != 0) return subq_nccl_fail(subq_nccl_, #expr); \
    } while (0)

#endif
