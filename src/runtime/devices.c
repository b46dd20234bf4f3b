/* Public device listing: each call looks at the devices afresh, through a short-lived instance. */
#include <stdlib.h>

#include "runtime/instance.h"

static subq_status list_devices(subq_device_info **infos, uint32_t *count)
{
    VkInstance instance;
    SUBQ_TRY(subq_instance_create(false, &instance));
    VkPhysicalDevice *physical = NULL;
    subq_status status = subq_physical_devices(instance, &physical, count);
    if (status == SUBQ_OK) {
        *infos = calloc(*count, sizeof **infos);
        if (!*infos) status = subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "out of host memory listing devices");
        for (uint32_t i = 0; status == SUBQ_OK && i < *count; i++)
            subq_physical_device_info(physical[i], &(*infos)[i]);
    }
    free(physical);
    vkDestroyInstance(instance, NULL);
    return status;
}

subq_status subq_device_count(uint32_t *count)
{
    if (!count) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "count: expected a non-NULL pointer");
    subq_device_info *infos = NULL;
    subq_status status = list_devices(&infos, count);
    free(infos);
    return status;
}

subq_status subq_device_get_info(uint32_t index, subq_device_info *info)
{
    if (!info) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "info: expected a non-NULL pointer");
    subq_device_info *infos = NULL;
    uint32_t count = 0;
    SUBQ_TRY(list_devices(&infos, &count));
    subq_status status = SUBQ_OK;
    if (index >= count)
        status = subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "index: expected < %u (the device count), got %u",
                           count, index);
    else
        *info = infos[index];
    free(infos);
    return status;
}

subq_status subq_device_choose(const char *selector, uint32_t *index)
{
    if (!index) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "index: expected a non-NULL pointer");
    subq_device_info *infos = NULL;
    uint32_t count = 0;
    SUBQ_TRY(list_devices(&infos, &count));
    subq_status status = subq_select_device(infos, count, selector, index);
    free(infos);
    return status;
}
