#include "runtime/profile.h"

#include <stdlib.h>

#define QUERIES_PER_HALF (SUBQ_PROFILE_MAX + 1)

struct subq_profile {
    VkQueryPool queries;
    const char *names[2][SUBQ_PROFILE_MAX];
    const char *statistics[2][SUBQ_PROFILE_MAX];
    int marks[2];
    subq_profile_entry done[SUBQ_PROFILE_MAX];
    int done_count;
};

subq_status subq_profile_create(subq_context *ctx, subq_profile **profile)
{
    if (ctx->info.timestamp_period_ns <= 0)
        return subq_fail(SUBQ_ERROR_UNSUPPORTED, "device '%s' has no compute timestamps", ctx->info.name);
    subq_profile *p = calloc(1, sizeof *p);
    if (!p) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "out of host memory for a stream's profile");
    VkQueryPoolCreateInfo info = {.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
                                  .queryType = VK_QUERY_TYPE_TIMESTAMP, .queryCount = 2 * QUERIES_PER_HALF};
    VkResult result = ctx->vk.vkCreateQueryPool(ctx->device, &info, NULL, &p->queries);
    if (result != VK_SUCCESS) {
        free(p);
        return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "vkCreateQueryPool for a stream's profile failed (%d)",
                         (int)result);
    }
    *profile = p;
    return SUBQ_OK;
}

void subq_profile_destroy(subq_context *ctx, subq_profile *profile)
{
    if (!profile) return;
    ctx->vk.vkDestroyQueryPool(ctx->device, profile->queries, NULL);
    free(profile);
}

void subq_profile_begin(subq_context *ctx, subq_profile *p, VkCommandBuffer cmd, int half)
{
    uint32_t first = (uint32_t)half * QUERIES_PER_HALF;
    ctx->vk.vkCmdResetQueryPool(cmd, p->queries, first, QUERIES_PER_HALF);
    ctx->vk.vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, p->queries, first);
    p->marks[half] = 0;
}

void subq_profile_mark(subq_context *ctx, subq_profile *p, VkCommandBuffer cmd, int half, const char *name,
                       const char *statistics)
{
    subq_cmd_full_barrier(ctx, cmd);
    if (p->marks[half] == SUBQ_PROFILE_MAX) return;
    uint32_t query = (uint32_t)half * QUERIES_PER_HALF + 1 + (uint32_t)p->marks[half];
    ctx->vk.vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, p->queries, query);
    p->statistics[half][p->marks[half]] = statistics;
    p->names[half][p->marks[half]++] = name;
}

void subq_profile_collect(subq_context *ctx, subq_profile *p, int half)
{
    uint64_t ticks[QUERIES_PER_HALF];
    int marks = p->marks[half];
    p->done_count = 0;
    if (ctx->vk.vkGetQueryPoolResults(ctx->device, p->queries, (uint32_t)half * QUERIES_PER_HALF,
                                      (uint32_t)marks + 1, sizeof ticks, ticks, sizeof ticks[0],
                                      VK_QUERY_RESULT_64_BIT) != VK_SUCCESS)
        return;
    for (int i = 0; i < marks; i++)
        p->done[i] = (subq_profile_entry){p->names[half][i],
                                          (double)(ticks[i + 1] - ticks[i]) * ctx->info.timestamp_period_ns * 1e-6,
                                          p->statistics[half][i]};
    p->done_count = marks;
}

void subq_profile_entries(const subq_profile *p, const subq_profile_entry **entries, int *count)
{
    *entries = p->done;
    *count = p->done_count;
}
