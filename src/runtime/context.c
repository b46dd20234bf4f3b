/* Context: instance, the chosen device, its queue, and the per-device services (memory, staging,
 * pipelines). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/disk_cache.h"
#include "runtime/instance.h"

static VKAPI_ATTR VkBool32 VKAPI_CALL on_validation_message(
    VkDebugUtilsMessageSeverityFlagBitsEXT severity, VkDebugUtilsMessageTypeFlagsEXT types,
    const VkDebugUtilsMessengerCallbackDataEXT *data, void *user)
{
    (void)types;
    subq_context *ctx = user;
    atomic_fetch_add(&ctx->validation_messages, 1);
    fprintf(stderr, "subq validation %s: %s\n",
            severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT ? "error" : "warning",
            data->pMessage);
    return VK_FALSE;
}

static subq_status create_messenger(subq_context *ctx)
{
    PFN_vkCreateDebugUtilsMessengerEXT create =
        (PFN_vkCreateDebugUtilsMessengerEXT)vkGetInstanceProcAddr(ctx->instance,
                                                                  "vkCreateDebugUtilsMessengerEXT");
    ctx->destroy_messenger =
        (PFN_vkDestroyDebugUtilsMessengerEXT)vkGetInstanceProcAddr(ctx->instance,
                                                                   "vkDestroyDebugUtilsMessengerEXT");
    if (!create || !ctx->destroy_messenger)
        return subq_fail(SUBQ_ERROR_UNSUPPORTED, "validation: VK_EXT_debug_utils is missing");
    VkDebugUtilsMessengerCreateInfoEXT info = {
        .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
        .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                           VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
        .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT,
        .pfnUserCallback = on_validation_message,
        .pUserData = ctx,
    };
    SUBQ_VK_TRY(create(ctx->instance, &info, NULL, &ctx->messenger));
    return SUBQ_OK;
}

static subq_status choose_physical_device(subq_context *ctx, const char *selector)
{
    VkPhysicalDevice *physical = NULL;
    uint32_t count = 0;
    SUBQ_TRY(subq_physical_devices(ctx->instance, &physical, &count));
    subq_device_info *infos = calloc(count, sizeof *infos);
    if (!infos) {
        free(physical);
        return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "out of host memory listing devices");
    }
    for (uint32_t i = 0; i < count; i++) subq_physical_device_info(physical[i], &infos[i]);
    uint32_t index = 0;
    subq_status status = subq_select_device(infos, count, selector, &index);
    if (status == SUBQ_OK) {
        ctx->physical = physical[index];
        ctx->info = infos[index];
    }
    free(infos);
    free(physical);
    return status;
}

static subq_status choose_queue_family(subq_context *ctx)
{
    uint32_t count = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(ctx->physical, &count, NULL);
    VkQueueFamilyProperties families[32];
    if (count > 32) count = 32;
    vkGetPhysicalDeviceQueueFamilyProperties(ctx->physical, &count, families);
    uint32_t chosen = UINT32_MAX;
    for (uint32_t i = 0; i < count; i++) {
        if (!(families[i].queueFlags & VK_QUEUE_COMPUTE_BIT)) continue;
        bool timed = families[i].timestampValidBits != 0;
        if (chosen == UINT32_MAX || (timed && !families[chosen].timestampValidBits)) chosen = i;
    }
    if (chosen == UINT32_MAX)
        return subq_fail(SUBQ_ERROR_UNSUPPORTED, "device '%s' has no compute queue", ctx->info.name);
    ctx->queue_family = chosen;
    return SUBQ_OK;
}

static subq_status create_device(subq_context *ctx, bool statistics)
{
    const char *extensions[8];
    uint32_t n = 0;
    if (statistics && !subq_device_has_extension(ctx->physical, VK_KHR_PIPELINE_EXECUTABLE_PROPERTIES_EXTENSION_NAME))
        return subq_fail(SUBQ_ERROR_UNSUPPORTED, "options.pipeline_statistics: device '%s' lacks "
                                                 "VK_KHR_pipeline_executable_properties", ctx->info.name);
    if (statistics) extensions[n++] = VK_KHR_PIPELINE_EXECUTABLE_PROPERTIES_EXTENSION_NAME;
    if (!subq_device_has_extension(ctx->physical, VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME))
        return subq_fail(SUBQ_ERROR_UNSUPPORTED, "device '%s' lacks VK_KHR_push_descriptor, which subq "
                                                 "needs", ctx->info.name);
    extensions[n++] = VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME;
    const char *optional[] = {VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME,
                              VK_KHR_EXTERNAL_SEMAPHORE_FD_EXTENSION_NAME, "VK_KHR_portability_subset"};
    for (size_t i = 0; i < sizeof optional / sizeof *optional; i++)
        if (subq_device_has_extension(ctx->physical, optional[i])) extensions[n++] = optional[i];

    /* Timeline semaphores order Vulkan against CUDA in context parallelism (core in 1.2). */
    VkPhysicalDeviceTimelineSemaphoreFeatures timeline = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_TIMELINE_SEMAPHORE_FEATURES};
    if (ctx->info.api_version >= VK_API_VERSION_1_2) {
        VkPhysicalDeviceFeatures2 query = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
                                           .pNext = &timeline};
        vkGetPhysicalDeviceFeatures2(ctx->physical, &query);
        timeline.pNext = NULL;
    }
    VkPhysicalDeviceVulkanMemoryModelFeatures memory_model = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_MEMORY_MODEL_FEATURES,
        .pNext = timeline.timelineSemaphore ? &timeline : NULL, .vulkanMemoryModel = VK_TRUE};
    VkPhysicalDeviceCooperativeMatrixFeaturesNV cooperative = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_NV, .pNext = &memory_model,
        .cooperativeMatrix = VK_TRUE};
    if (ctx->info.has_cooperative_matrix) extensions[n++] = VK_NV_COOPERATIVE_MATRIX_EXTENSION_NAME;
    VkPhysicalDevice8BitStorageFeatures storage8 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_8BIT_STORAGE_FEATURES,
        .pNext = ctx->info.has_cooperative_matrix ? (void *)&cooperative : memory_model.pNext,
        .storageBuffer8BitAccess = ctx->info.has_8bit_storage};
    VkPhysicalDeviceShaderFloat16Int8Features f16 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES, .pNext = &storage8,
        .shaderFloat16 = ctx->info.has_float16_arithmetic, .shaderInt8 = ctx->info.has_int8_arithmetic};
    VkPhysicalDevice16BitStorageFeatures storage16 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES, .pNext = &f16,
        .storageBuffer16BitAccess = ctx->info.has_16bit_storage};
    VkPhysicalDevicePipelineExecutablePropertiesFeaturesKHR executables = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PIPELINE_EXECUTABLE_PROPERTIES_FEATURES_KHR, .pNext = &storage16,
        .pipelineExecutableInfo = VK_TRUE};
    VkPhysicalDeviceFeatures2 features = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
                                          .pNext = statistics ? (void *)&executables : &storage16};
    float priority = 1.0f;
    VkDeviceQueueCreateInfo queue = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
        .queueFamilyIndex = ctx->queue_family,
        .queueCount = 1,
        .pQueuePriorities = &priority,
    };
    VkDeviceCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
        .pNext = &features,
        .queueCreateInfoCount = 1,
        .pQueueCreateInfos = &queue,
        .enabledExtensionCount = n,
        .ppEnabledExtensionNames = extensions,
    };
    SUBQ_VK_TRY(vkCreateDevice(ctx->physical, &info, NULL, &ctx->device));
    ctx->timeline_semaphores = timeline.timelineSemaphore;
    ctx->cooperative_matrix = ctx->info.has_cooperative_matrix;
    ctx->pipeline_statistics = statistics;
    volkLoadDeviceTable(&ctx->vk, ctx->device);
    ctx->vk.vkGetDeviceQueue(ctx->device, ctx->queue_family, 0, &ctx->queue);
    return SUBQ_OK;
}

subq_status subq_context_start_services(subq_context *ctx, const subq_context_options *options)
{
    subq_physical_device_info(ctx->physical, &ctx->info);
    vkGetPhysicalDeviceMemoryProperties(ctx->physical, &ctx->memory_properties);
    if (!ctx->vk.vkCmdPushDescriptorSetKHR)
        return subq_fail(SUBQ_ERROR_UNSUPPORTED, "device '%s': VK_KHR_push_descriptor is not enabled; subq "
                                                 "needs it", ctx->info.name);
    subq_disk_cache_dir(options, ctx->cache_dir, sizeof ctx->cache_dir);
    SUBQ_TRY(subq_memory_init(ctx));
    SUBQ_TRY(subq_staging_init(ctx));
    SUBQ_TRY(subq_pipelines_init(ctx));
    SUBQ_TRY(subq_fft_plans_init(ctx));
    return subq_context_scratch_init(ctx);
}

static subq_status context_init(subq_context *ctx, const subq_context_options *options)
{
    bool validation = options->validation == SUBQ_TOGGLE_DEFAULT
                          ? subq_env_flag("SUBQ_VALIDATION", false)
                          : options->validation == SUBQ_TOGGLE_ON;
    SUBQ_TRY(subq_instance_create(validation, &ctx->instance));
    if (validation) SUBQ_TRY(create_messenger(ctx));
    SUBQ_TRY(choose_physical_device(ctx, options->device));
    SUBQ_TRY(choose_queue_family(ctx));
    bool statistics = options->pipeline_statistics == SUBQ_TOGGLE_DEFAULT
                          ? subq_env_flag("SUBQ_PIPELINE_STATISTICS", false)
                          : options->pipeline_statistics == SUBQ_TOGGLE_ON;
    SUBQ_TRY(create_device(ctx, statistics));
    return subq_context_start_services(ctx, options);
}

subq_status subq_context_alloc(subq_context **out)
{
    subq_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "out of host memory creating a context");
    if (mtx_init(&ctx->queue_lock, mtx_plain) != thrd_success) {
        free(ctx);
        return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "could not create a mutex");
    }
    *out = ctx;
    return SUBQ_OK;
}

subq_status subq_context_create(const subq_context_options *options, subq_context **context)
{
    if (!context) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "context: expected a non-NULL pointer");
    *context = NULL;
    subq_context_options defaults = {0};
    subq_context *ctx;
    SUBQ_TRY(subq_context_alloc(&ctx));
    ctx->owns_device = true;
    subq_status status = context_init(ctx, options ? options : &defaults);
    if (status != SUBQ_OK) {
        subq_context_destroy(ctx);
        return status;
    }
    *context = ctx;
    return SUBQ_OK;
}

void subq_context_destroy(subq_context *ctx)
{
    if (!ctx) return;
    if (ctx->device) {
        /* A host's device may be busy with the host's own work: subq's has all been waited for. */
        if (ctx->owns_device) ctx->vk.vkDeviceWaitIdle(ctx->device);
        subq_context_scratch_release(ctx);
        subq_fft_plans_release(ctx);
        subq_pipelines_release(ctx);
        subq_staging_release(ctx);
        subq_memory_release(ctx);
        if (ctx->owns_device) ctx->vk.vkDestroyDevice(ctx->device, NULL);
    }
    if (ctx->messenger) ctx->destroy_messenger(ctx->instance, ctx->messenger, NULL);
    if (ctx->instance && ctx->owns_device) vkDestroyInstance(ctx->instance, NULL);
    mtx_destroy(&ctx->queue_lock);
    free(ctx);
}

subq_status subq_context_get_device_info(const subq_context *ctx, subq_device_info *info)
{
    if (!ctx) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "context: expected a context, got NULL");
    if (!info) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "info: expected a non-NULL pointer");
    *info = ctx->info;
    return SUBQ_OK;
}

uint32_t subq_context_validation_message_count(const subq_context *ctx)
{
    return ctx ? atomic_load(&ctx->validation_messages) : 0;
}

void subq_queue_lock(subq_context *ctx)
{
    if (ctx->lock_queue) ctx->lock_queue(ctx->queue_user);
    else mtx_lock(&ctx->queue_lock);
}

void subq_queue_unlock(subq_context *ctx)
{
    if (ctx->unlock_queue) ctx->unlock_queue(ctx->queue_user);
    else mtx_unlock(&ctx->queue_lock);
}

subq_status subq_queue_submit(subq_context *ctx, VkCommandBuffer cmd, VkFence fence)
{
    return subq_queue_submit_sync(ctx, cmd, fence, NULL);
}

subq_status subq_queue_submit_sync(subq_context *ctx, VkCommandBuffer cmd, VkFence fence,
                                   const subq_queue_sync *sync)
{
    VkPipelineStageFlags stages[SUBQ_MAX_SEMAPHORE_WAITS];
    for (uint32_t i = 0; i < SUBQ_MAX_SEMAPHORE_WAITS; i++)
        stages[i] = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
    bool signals = sync && sync->signal;
    VkTimelineSemaphoreSubmitInfo timeline = {
        .sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
        .waitSemaphoreValueCount = sync ? sync->wait_count : 0,
        .pWaitSemaphoreValues = sync ? sync->wait_value : NULL,
        .signalSemaphoreValueCount = signals ? 1 : 0,
        .pSignalSemaphoreValues = signals ? &sync->signal_value : NULL,
    };
    VkSubmitInfo submit = {
        .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
        .pNext = sync ? &timeline : NULL,
        .waitSemaphoreCount = timeline.waitSemaphoreValueCount,
        .pWaitSemaphores = sync ? sync->wait : NULL,
        .pWaitDstStageMask = stages,
        .commandBufferCount = 1,
        .pCommandBuffers = &cmd,
        .signalSemaphoreCount = timeline.signalSemaphoreValueCount,
        .pSignalSemaphores = signals ? &sync->signal : NULL,
    };
    subq_queue_lock(ctx);
    VkResult result = ctx->vk.vkQueueSubmit(ctx->queue, 1, &submit, fence);
    subq_queue_unlock(ctx);
    return result == VK_SUCCESS ? SUBQ_OK : subq_fail_vk(result, "vkQueueSubmit");
}

double subq_timeout_seconds(void)
{
    const char *env = getenv("SUBQ_TIMEOUT_S");
    return env && atof(env) > 0 ? atof(env) : 600.0;
}

subq_status subq_fence_wait(subq_context *ctx, VkFence fence, const char *what)
{
    double limit_s = subq_timeout_seconds();
    VkResult result = ctx->vk.vkWaitForFences(ctx->device, 1, &fence, VK_TRUE,
                                              (uint64_t)(limit_s * 1e9));
    if (result == VK_TIMEOUT)
        return subq_fail(SUBQ_ERROR_DEVICE_LOST, "%s: the GPU did not finish within %.0f s "
                                                 "(SUBQ_TIMEOUT_S); treating the device as lost",
                         what, limit_s);
    return result == VK_SUCCESS ? SUBQ_OK : subq_fail_vk(result, "vkWaitForFences");
}

void subq_cmd_full_barrier(const subq_context *ctx, VkCommandBuffer cmd)
{
    VkMemoryBarrier barrier = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
        .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
        .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
                         VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
    };
    VkPipelineStageFlags stages = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
    ctx->vk.vkCmdPipelineBarrier(cmd, stages, stages, 0, 1, &barrier, 0, NULL, 0, NULL);
}
