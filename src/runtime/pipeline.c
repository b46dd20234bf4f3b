/* Compute pipelines: created on first use, kept per (shader, specialisation constants), compiled
 * through a VkPipelineCache that persists on disk (pipeline_disk_cache.c). Every pipeline binds its
 * storage buffers with push descriptors, so there are no descriptor pools to manage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/pipeline_disk_cache.h"

struct subq_pipeline {
    subq_pipeline *next;
    subq_kernel kernel;
    VkDescriptorSetLayout set_layout;
    VkPipelineLayout layout;
    VkPipeline pipeline;
    char statistics[256]; /* "" unless the context captures them */
};

VkPipeline subq_pipeline_handle(const subq_pipeline *p) { return p->pipeline; }
VkPipelineLayout subq_pipeline_layout(const subq_pipeline *p) { return p->layout; }
const char *subq_pipeline_statistics(const subq_pipeline *p) { return p->statistics[0] ? p->statistics : NULL; }

static int format_statistic(char *text, size_t size, const VkPipelineExecutableStatisticKHR *s)
{
    switch (s->format) {
    case VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_BOOL32_KHR:
        return snprintf(text, size, "%s %s", s->name, s->value.b32 ? "yes" : "no");
    case VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_INT64_KHR:
        return snprintf(text, size, "%s %lld", s->name, (long long)s->value.i64);
    case VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_UINT64_KHR:
        return snprintf(text, size, "%s %llu", s->name, (unsigned long long)s->value.u64);
    default: return snprintf(text, size, "%s %g", s->name, s->value.f64);
    }
}

/* What the driver's compiler reports of the pipeline's (one, compute) executable, as
 * "name value, name value, ..." cut at the buffer's end. */
static void capture_statistics(subq_context *ctx, subq_pipeline *p)
{
    VkPipelineExecutableInfoKHR executable = {.sType = VK_STRUCTURE_TYPE_PIPELINE_EXECUTABLE_INFO_KHR,
                                              .pipeline = p->pipeline};
    VkPipelineExecutableStatisticKHR statistics[32];
    uint32_t count = sizeof statistics / sizeof *statistics;
    for (uint32_t i = 0; i < count; i++)
        statistics[i] =
            (VkPipelineExecutableStatisticKHR){.sType = VK_STRUCTURE_TYPE_PIPELINE_EXECUTABLE_STATISTIC_KHR};
    VkResult result = ctx->vk.vkGetPipelineExecutableStatisticsKHR(ctx->device, &executable, &count, statistics);
    if (result != VK_SUCCESS && result != VK_INCOMPLETE) return;
    size_t used = 0;
    for (uint32_t i = 0; i < count && used < sizeof p->statistics; i++) {
        char one[128];
        format_statistic(one, sizeof one, &statistics[i]);
        int n = snprintf(p->statistics + used, sizeof p->statistics - used, "%s%s", i ? ", " : "", one);
        if (n < 0) break;
        used += (size_t)n;
    }
}

subq_status subq_pipelines_init(subq_context *ctx)
{
    if (mtx_init(&ctx->pipelines.lock, mtx_plain) != thrd_success)
        return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "could not create a mutex");
    return subq_pipeline_disk_cache_open(ctx);
}

static void pipeline_destroy(subq_context *ctx, subq_pipeline *p)
{
    if (p->pipeline) ctx->vk.vkDestroyPipeline(ctx->device, p->pipeline, NULL);
    if (p->layout) ctx->vk.vkDestroyPipelineLayout(ctx->device, p->layout, NULL);
    if (p->set_layout) ctx->vk.vkDestroyDescriptorSetLayout(ctx->device, p->set_layout, NULL);
    free(p);
}

void subq_pipelines_release(subq_context *ctx)
{
    subq_pipeline_disk_cache_close(ctx);
    while (ctx->pipelines.list) {
        subq_pipeline *next = ctx->pipelines.list->next;
        pipeline_destroy(ctx, ctx->pipelines.list);
        ctx->pipelines.list = next;
    }
    mtx_destroy(&ctx->pipelines.lock);
}

static bool same_kernel(const subq_kernel *a, const subq_kernel *b)
{
    return a->shader == b->shader && a->bindings == b->bindings && a->push_bytes == b->push_bytes &&
           a->spec_count == b->spec_count &&
           memcmp(a->spec, b->spec, a->spec_count * sizeof a->spec[0]) == 0;
}

/* Vulkan guarantees only 4 storage buffers per shader stage; subq's kernels use up to 10. */
static subq_status check_binding_limit(const subq_context *ctx, const subq_kernel *kernel)
{
    VkPhysicalDeviceProperties props;
    vkGetPhysicalDeviceProperties(ctx->physical, &props);
    if (kernel->bindings <= props.limits.maxPerStageDescriptorStorageBuffers) return SUBQ_OK;
    return subq_fail(SUBQ_ERROR_UNSUPPORTED, "shader '%s' binds %u storage buffers; device '%s' allows %u per stage",
                     kernel->shader->name, kernel->bindings, ctx->info.name,
                     props.limits.maxPerStageDescriptorStorageBuffers);
}

static subq_status create_layouts(subq_context *ctx, subq_pipeline *p)
{
    SUBQ_TRY(check_binding_limit(ctx, &p->kernel));
    VkDescriptorSetLayoutBinding bindings[SUBQ_MAX_BINDINGS];
    for (uint32_t i = 0; i < p->kernel.bindings; i++)
        bindings[i] = (VkDescriptorSetLayoutBinding){.binding = i,
                                                     .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                                     .descriptorCount = 1,
                                                     .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT};
    VkDescriptorSetLayoutCreateInfo set = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
        .flags = VK_DESCRIPTOR_SET_LAYOUT_CREATE_PUSH_DESCRIPTOR_BIT_KHR,
        .bindingCount = p->kernel.bindings,
        .pBindings = bindings,
    };
    SUBQ_VK_TRY(ctx->vk.vkCreateDescriptorSetLayout(ctx->device, &set, NULL, &p->set_layout));
    VkPushConstantRange push = {.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT, .size = p->kernel.push_bytes};
    VkPipelineLayoutCreateInfo layout = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
        .setLayoutCount = 1,
        .pSetLayouts = &p->set_layout,
        .pushConstantRangeCount = p->kernel.push_bytes ? 1 : 0,
        .pPushConstantRanges = &push,
    };
    SUBQ_VK_TRY(ctx->vk.vkCreatePipelineLayout(ctx->device, &layout, NULL, &p->layout));
    return SUBQ_OK;
}

static subq_status create_pipeline(subq_context *ctx, subq_pipeline *p)
{
    const subq_kernel *k = &p->kernel;
    if (k->push_bytes > ctx->info.max_push_constants_bytes)
        return subq_fail(SUBQ_ERROR_UNSUPPORTED, "shader %s needs %u bytes of push constants; device "
                                                 "'%s' allows %u", k->shader->name, k->push_bytes,
                         ctx->info.name, ctx->info.max_push_constants_bytes);
    SUBQ_TRY(create_layouts(ctx, p));
    VkShaderModuleCreateInfo module_info = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                            .codeSize = k->shader->bytes, .pCode = k->shader->code};
    VkShaderModule module;
    SUBQ_VK_TRY(ctx->vk.vkCreateShaderModule(ctx->device, &module_info, NULL, &module));
    VkSpecializationMapEntry entries[SUBQ_MAX_SPEC_CONSTANTS];
    for (uint32_t i = 0; i < k->spec_count; i++)
        entries[i] = (VkSpecializationMapEntry){.constantID = i, .offset = i * 4, .size = 4};
    VkSpecializationInfo spec = {.mapEntryCount = k->spec_count, .pMapEntries = entries,
                                 .dataSize = k->spec_count * 4, .pData = k->spec};
    VkComputePipelineCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                  .stage = VK_SHADER_STAGE_COMPUTE_BIT, .module = module, .pName = "main",
                  .pSpecializationInfo = k->spec_count ? &spec : NULL},
        .layout = p->layout,
        .flags = ctx->pipeline_statistics ? VK_PIPELINE_CREATE_CAPTURE_STATISTICS_BIT_KHR : 0,
    };
    VkResult result = ctx->vk.vkCreateComputePipelines(ctx->device, ctx->pipelines.cache, 1, &info,
                                                       NULL, &p->pipeline);
    ctx->vk.vkDestroyShaderModule(ctx->device, module, NULL);
    if (result != VK_SUCCESS) return subq_fail_vk(result, "vkCreateComputePipelines");
    if (ctx->pipeline_statistics) capture_statistics(ctx, p);
    return SUBQ_OK;
}

subq_status subq_pipeline_get(subq_context *ctx, const subq_kernel *kernel, subq_pipeline **out)
{
    subq_status status = SUBQ_OK;
    mtx_lock(&ctx->pipelines.lock);
    subq_pipeline *p = ctx->pipelines.list;
    while (p && !same_kernel(&p->kernel, kernel)) p = p->next;
    if (!p) {
        p = calloc(1, sizeof *p);
        if (!p) {
            status = subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "out of host memory creating a pipeline");
        } else {
            p->kernel = *kernel;
            status = create_pipeline(ctx, p);
            if (status == SUBQ_OK) {
                p->next = ctx->pipelines.list;
                ctx->pipelines.list = p;
            } else {
                pipeline_destroy(ctx, p);
                p = NULL;
            }
        }
    }
    mtx_unlock(&ctx->pipelines.lock);
    *out = p;
    return status;
}
