/* Vulkan instance creation, device enumeration and the default device choice. */
#ifndef SUBQ_INSTANCE_H
#define SUBQ_INSTANCE_H

#include <stdbool.h>

#include "runtime/runtime.h"

/* Load the Vulkan loader through volk (once per process). */
subq_status subq_vulkan_load(void);
/* Use a host's vkGetInstanceProcAddr instead (unless volk is loaded already) and load the
 * instance-level functions of its instance. */
subq_status subq_vulkan_load_custom(PFN_vkGetInstanceProcAddr get_instance_proc_addr, VkInstance instance);
void subq_volk_load_instance(VkInstance instance);
/* A minimal instance for enumeration, or the context's instance with validation when asked. */
subq_status subq_instance_create(bool validation, VkInstance *instance);
subq_status subq_physical_devices(VkInstance instance, VkPhysicalDevice **devices, uint32_t *count);
void subq_physical_device_info(VkPhysicalDevice physical, subq_device_info *info);
bool subq_device_has_extension(VkPhysicalDevice physical, const char *name);
/* Pick among `count` devices by selector (index or name substring; NULL or "" = SUBQ_DEVICE, else
 * the best type). */
subq_status subq_select_device(const subq_device_info *infos, uint32_t count, const char *selector,
                               uint32_t *index);
bool subq_env_flag(const char *name, bool fallback);

#endif
