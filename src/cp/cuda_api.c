/* Loading libcuda and libnccl at run time: each entry point by name, the first name found when a
 * function has several (a driver's versioned symbol, then the original). */
#include "cp/cuda_api.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <threads.h>

#include "runtime/error.h"

typedef struct symbol {
    const char *names[2];
    void **slot;
} symbol;

static mtx_t load_lock;
static once_flag load_once = ONCE_FLAG_INIT;
static void init_load_lock(void) { mtx_init(&load_lock, mtx_plain); }

static cuda_api cuda;
static nccl_api nccl;
static bool cuda_loaded, nccl_loaded;

/* dlopen the library and fill every symbol, or fail saying what is missing. */
static subq_status load(const char *what, const char *env, const char *fallback, const symbol *symbols, size_t count)
{
    const char *name = getenv(env) && *getenv(env) ? getenv(env) : fallback;
    void *lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (!lib)
        return subq_fail(SUBQ_ERROR_UNSUPPORTED, "%s is unavailable: could not load %s (%s); set %s to the library's "
                                                 "path", what, name, dlerror(), env);
    for (size_t i = 0; i < count; i++) {
        void *f = dlsym(lib, symbols[i].names[0]);
        if (!f && symbols[i].names[1]) f = dlsym(lib, symbols[i].names[1]);
        if (!f) {
            dlclose(lib);
            return subq_fail(SUBQ_ERROR_UNSUPPORTED, "%s is unavailable: %s has no %s (too old?)", what, name,
                             symbols[i].names[0]);
        }
        *symbols[i].slot = f;
    }
    return SUBQ_OK; /* the library stays loaded for the process's life */
}

subq_status subq_cuda_load(const cuda_api **api)
{
    cuda_api a;
    const symbol symbols[] = {
        {{"cuInit"}, (void **)&a.init},
        {{"cuGetErrorString"}, (void **)&a.get_error_string},
        {{"cuDeviceGetCount"}, (void **)&a.device_get_count},
        {{"cuDeviceGet"}, (void **)&a.device_get},
        {{"cuDeviceGetUuid_v2", "cuDeviceGetUuid"}, (void **)&a.device_get_uuid},
        {{"cuDevicePrimaryCtxRetain"}, (void **)&a.primary_ctx_retain},
        {{"cuDevicePrimaryCtxRelease_v2", "cuDevicePrimaryCtxRelease"}, (void **)&a.primary_ctx_release},
        {{"cuCtxSetCurrent"}, (void **)&a.ctx_set_current},
        {{"cuStreamCreate"}, (void **)&a.stream_create},
        {{"cuStreamDestroy_v2", "cuStreamDestroy"}, (void **)&a.stream_destroy},
        {{"cuStreamSynchronize"}, (void **)&a.stream_synchronize},
        {{"cuMemAlloc_v2"}, (void **)&a.mem_alloc},
        {{"cuMemFree_v2"}, (void **)&a.mem_free},
        {{"cuMemcpyHtoDAsync_v2"}, (void **)&a.memcpy_htod_async},
        {{"cuMemcpyDtoHAsync_v2"}, (void **)&a.memcpy_dtoh_async},
        {{"cuImportExternalMemory"}, (void **)&a.import_external_memory},
        {{"cuExternalMemoryGetMappedBuffer"}, (void **)&a.external_memory_get_mapped_buffer},
        {{"cuDestroyExternalMemory"}, (void **)&a.destroy_external_memory},
        {{"cuImportExternalSemaphore"}, (void **)&a.import_external_semaphore},
        {{"cuDestroyExternalSemaphore"}, (void **)&a.destroy_external_semaphore},
        {{"cuSignalExternalSemaphoresAsync"}, (void **)&a.signal_external_semaphores_async},
        {{"cuWaitExternalSemaphoresAsync"}, (void **)&a.wait_external_semaphores_async},
    };
    call_once(&load_once, init_load_lock);
    mtx_lock(&load_lock);
    subq_status status = SUBQ_OK;
    if (!cuda_loaded) {
        status = load("CUDA", "SUBQ_CUDA_LIBRARY", "libcuda.so.1", symbols, sizeof symbols / sizeof *symbols);
        if (status == SUBQ_OK) {
            cuda = a;
            cuda_loaded = true;
        }
    }
    mtx_unlock(&load_lock);
    *api = &cuda;
    return status;
}

subq_status subq_nccl_load(const nccl_api **api)
{
    nccl_api a;
    const symbol symbols[] = {
        {{"ncclGetVersion"}, (void **)&a.get_version},
        {{"ncclGetErrorString"}, (void **)&a.get_error_string},
        {{"ncclGetUniqueId"}, (void **)&a.get_unique_id},
        {{"ncclCommInitRank"}, (void **)&a.comm_init_rank},
        {{"ncclCommSplit"}, (void **)&a.comm_split},
        {{"ncclCommDestroy"}, (void **)&a.comm_destroy},
        {{"ncclGroupStart"}, (void **)&a.group_start},
        {{"ncclGroupEnd"}, (void **)&a.group_end},
        {{"ncclSend"}, (void **)&a.send},
        {{"ncclRecv"}, (void **)&a.recv},
        {{"ncclAllGather"}, (void **)&a.all_gather},
    };
    call_once(&load_once, init_load_lock);
    mtx_lock(&load_lock);
    subq_status status = SUBQ_OK;
    if (!nccl_loaded) {
        status = load("NCCL", "SUBQ_NCCL_LIBRARY", "libnccl.so.2", symbols, sizeof symbols / sizeof *symbols);
        if (status == SUBQ_OK) {
            nccl = a;
            nccl_loaded = true;
        }
    }
    mtx_unlock(&load_lock);
    *api = &nccl;
    return status;
}

subq_status subq_cuda_fail(cu_result result, const char *call)
{
    const char *text = NULL;
    if (cuda_loaded) cuda.get_error_string(result, &text);
    return subq_fail(SUBQ_ERROR_IO, "%s failed: CUDA error %d (%s)", call, result, text ? text : "unknown");
}

subq_status subq_nccl_fail(nccl_result result, const char *call)
{
    const char *text = nccl_loaded ? nccl.get_error_string(result) : NULL;
    return subq_fail(SUBQ_ERROR_IO, "%s failed: NCCL error %d (%s)", call, result, text ? text : "unknown");
}
