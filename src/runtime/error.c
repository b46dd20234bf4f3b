#include "runtime/error.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_error[1024];

const char *subq_last_error(void) { return last_error; }

void subq_clear_error(void) { last_error[0] = '\0'; }

subq_status subq_fail(subq_status status, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vsnprintf(last_error, sizeof last_error, format, args);
    va_end(args);
    return status;
}

static const char *vk_result_name(VkResult result)
{
    switch (result) {
    case VK_ERROR_OUT_OF_HOST_MEMORY: return "VK_ERROR_OUT_OF_HOST_MEMORY";
    case VK_ERROR_OUT_OF_DEVICE_MEMORY: return "VK_ERROR_OUT_OF_DEVICE_MEMORY";
    case VK_ERROR_INITIALIZATION_FAILED: return "VK_ERROR_INITIALIZATION_FAILED";
    case VK_ERROR_DEVICE_LOST: return "VK_ERROR_DEVICE_LOST";
    case VK_ERROR_LAYER_NOT_PRESENT: return "VK_ERROR_LAYER_NOT_PRESENT";
    case VK_ERROR_EXTENSION_NOT_PRESENT: return "VK_ERROR_EXTENSION_NOT_PRESENT";
    case VK_ERROR_FEATURE_NOT_PRESENT: return "VK_ERROR_FEATURE_NOT_PRESENT";
    case VK_ERROR_INCOMPATIBLE_DRIVER: return "VK_ERROR_INCOMPATIBLE_DRIVER";
    case VK_ERROR_TOO_MANY_OBJECTS: return "VK_ERROR_TOO_MANY_OBJECTS";
    case VK_ERROR_OUT_OF_POOL_MEMORY: return "VK_ERROR_OUT_OF_POOL_MEMORY";
    case VK_TIMEOUT: return "VK_TIMEOUT";
    default: return "VkResult";
    }
}

subq_status subq_fail_vk(VkResult result, const char *call)
{
    subq_status status = SUBQ_ERROR_VULKAN;
    if (result == VK_ERROR_OUT_OF_DEVICE_MEMORY || result == VK_ERROR_OUT_OF_HOST_MEMORY)
        status = SUBQ_ERROR_OUT_OF_MEMORY;
    else if (result == VK_ERROR_DEVICE_LOST)
        status = SUBQ_ERROR_DEVICE_LOST;
    return subq_fail(status, "%s failed: %s (%d)", call, vk_result_name(result), (int)result);
}

const char *subq_status_name(subq_status status)
{
    switch (status) {
    case SUBQ_OK: return "ok";
    case SUBQ_ERROR_INVALID_ARGUMENT: return "invalid argument";
    case SUBQ_ERROR_OUT_OF_MEMORY: return "out of memory";
    case SUBQ_ERROR_UNSUPPORTED: return "unsupported";
    case SUBQ_ERROR_NO_DEVICE: return "no device";
    case SUBQ_ERROR_DEVICE_LOST: return "device lost";
    case SUBQ_ERROR_VULKAN: return "Vulkan error";
    case SUBQ_ERROR_IO: return "I/O error";
    case SUBQ_ERROR_VALIDATION: return "validation error";
    }
    return "unknown status";
}
