#include "runtime/instance.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* volk's globals are process-wide: one lock orders their loading. */
static mtx_t volk_lock;
static once_flag volk_lock_once = ONCE_FLAG_INIT;
static void init_volk_lock(void) { mtx_init(&volk_lock, mtx_plain); }

/* Initialise volk with the system loader, or with a host's vkGetInstanceProcAddr, once. */
static VkResult volk_initialize(PFN_vkGetInstanceProcAddr host)
{
    call_once(&volk_lock_once, init_volk_lock);
    mtx_lock(&volk_lock);
    VkResult result = VK_SUCCESS;
    if (volkGetInstanceVersion() == 0) {
        if (host) volkInitializeCustom(host);
        else result = volkInitialize();
    }
    mtx_unlock(&volk_lock);
    return result;
}

subq_status subq_vulkan_load(void)
{
    if (volk_initialize(NULL) != VK_SUCCESS)
        return subq_fail(SUBQ_ERROR_NO_DEVICE,
                         "no Vulkan loader found (libvulkan.so.1): install libvulkan1 and a driver "
                         "(mesa-vulkan-drivers gives the lavapipe CPU device)");
    return SUBQ_OK;
}

subq_status subq_vulkan_load_custom(PFN_vkGetInstanceProcAddr get_instance_proc_addr, VkInstance instance)
{
    volk_initialize(get_instance_proc_addr);
    subq_volk_load_instance(instance);
    return SUBQ_OK;
}

/* volk's global pointers, device-level ones included (through the loader's dispatch, valid for
 * every device): VkFFT calls Vulkan by those global names. subq's own calls use per-device tables. */
void subq_volk_load_instance(VkInstance instance)
{
    call_once(&volk_lock_once, init_volk_lock);
    mtx_lock(&volk_lock);
    volkLoadInstance(instance);
    mtx_unlock(&volk_lock);
}

bool subq_env_flag(const char *name, bool fallback)
{
    const char *value = getenv(name);
    if (!value || !*value) return fallback;
    return strcmp(value, "0") != 0 && strcmp(value, "false") != 0 && strcmp(value, "off") != 0;
}

static bool has_layer(const char *name)
{
    uint32_t count = 0;
    if (vkEnumerateInstanceLayerProperties(&count, NULL) != VK_SUCCESS) return false;
    VkLayerProperties *layers = calloc(count ? count : 1, sizeof *layers);
    bool found = false;
    if (layers && vkEnumerateInstanceLayerProperties(&count, layers) == VK_SUCCESS)
        for (uint32_t i = 0; i < count && !found; i++) found = strcmp(layers[i].layerName, name) == 0;
    free(layers);
    return found;
}

subq_status subq_instance_create(bool validation, VkInstance *instance)
{
    SUBQ_TRY(subq_vulkan_load());
    static const char *layer = "VK_LAYER_KHRONOS_validation";
    static const char *debug_ext = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
    if (validation && !has_layer(layer))
        return subq_fail(SUBQ_ERROR_UNSUPPORTED,
                         "validation was asked for but %s is not installed "
                         "(Debian: vulkan-validationlayers)", layer);
    uint32_t loader_version = VK_API_VERSION_1_0;
    if (vkEnumerateInstanceVersion) vkEnumerateInstanceVersion(&loader_version);
    if (loader_version < VK_API_VERSION_1_1)
        return subq_fail(SUBQ_ERROR_UNSUPPORTED, "the Vulkan loader is 1.0; subq needs 1.1 or newer");

    VkApplicationInfo app = {
        .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
        .pApplicationName = "subq",
        .pEngineName = "subq",
        .apiVersion = loader_version >= VK_API_VERSION_1_3 ? VK_API_VERSION_1_3 : loader_version,
    };
    /* Synchronization validation catches a missing barrier, the bug that corrupts silently. */
    VkValidationFeatureEnableEXT enables[] = {VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT};
    VkValidationFeaturesEXT features = {
        .sType = VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT,
        .enabledValidationFeatureCount = 1,
        .pEnabledValidationFeatures = enables,
    };
    VkInstanceCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
        .pNext = validation ? &features : NULL,
        .pApplicationInfo = &app,
        .enabledLayerCount = validation ? 1 : 0,
        .ppEnabledLayerNames = &layer,
        .enabledExtensionCount = validation ? 1 : 0,
        .ppEnabledExtensionNames = &debug_ext,
    };
    SUBQ_VK_TRY(vkCreateInstance(&info, NULL, instance));
    subq_volk_load_instance(*instance);
    return SUBQ_OK;
}

subq_status subq_physical_devices(VkInstance instance, VkPhysicalDevice **devices, uint32_t *count)
{
    SUBQ_VK_TRY(vkEnumeratePhysicalDevices(instance, count, NULL));
    if (*count == 0)
        return subq_fail(SUBQ_ERROR_NO_DEVICE, "no Vulkan device found (for a CPU device install "
                                               "mesa-vulkan-drivers)");
    *devices = calloc(*count, sizeof **devices);
    if (!*devices) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "out of host memory listing devices");
    SUBQ_VK_TRY(vkEnumeratePhysicalDevices(instance, count, *devices));
    return SUBQ_OK;
}

bool subq_device_has_extension(VkPhysicalDevice physical, const char *name)
{
    uint32_t count = 0;
    vkEnumerateDeviceExtensionProperties(physical, NULL, &count, NULL);
    VkExtensionProperties *exts = calloc(count ? count : 1, sizeof *exts);
    bool found = false;
    if (exts && vkEnumerateDeviceExtensionProperties(physical, NULL, &count, exts) == VK_SUCCESS)
        for (uint32_t i = 0; i < count && !found; i++) found = strcmp(exts[i].extensionName, name) == 0;
    free(exts);
    return found;
}

/* VK_NV_cooperative_matrix with the shape linear_coopmat.comp uses: 16 x 16 x 16, f16 operands,
 * f32 accumulator, one subgroup; and the Vulkan memory model its scopes need. (Debian's glslang
 * cannot compile VK_KHR_cooperative_matrix.) */
static bool has_f16_cooperative_matrix(VkPhysicalDevice physical, uint32_t api_version)
{
    if (api_version < VK_API_VERSION_1_2 ||
        !subq_device_has_extension(physical, VK_NV_COOPERATIVE_MATRIX_EXTENSION_NAME) ||
        !vkGetPhysicalDeviceCooperativeMatrixPropertiesNV)
        return false;
    VkPhysicalDeviceVulkanMemoryModelFeatures model = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_MEMORY_MODEL_FEATURES};
    VkPhysicalDeviceFeatures2 features = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, .pNext = &model};
    vkGetPhysicalDeviceFeatures2(physical, &features);
    if (!model.vulkanMemoryModel) return false;
    VkCooperativeMatrixPropertiesNV shapes[64];
    uint32_t count = 64;
    for (uint32_t i = 0; i < count; i++) shapes[i] = (VkCooperativeMatrixPropertiesNV){
        .sType = VK_STRUCTURE_TYPE_COOPERATIVE_MATRIX_PROPERTIES_NV};
    VkResult r = vkGetPhysicalDeviceCooperativeMatrixPropertiesNV(physical, &count, shapes);
    if (r != VK_SUCCESS && r != VK_INCOMPLETE) return false;
    for (uint32_t i = 0; i < count; i++) {
        const VkCooperativeMatrixPropertiesNV *s = &shapes[i];
        if (s->MSize == 16 && s->NSize == 16 && s->KSize == 16 && s->AType == VK_COMPONENT_TYPE_FLOAT16_NV &&
            s->BType == VK_COMPONENT_TYPE_FLOAT16_NV && s->CType == VK_COMPONENT_TYPE_FLOAT32_NV &&
            s->DType == VK_COMPONENT_TYPE_FLOAT32_NV && s->scope == VK_SCOPE_SUBGROUP_NV)
            return true;
    }
    return false;
}

static subq_device_type device_type(VkPhysicalDeviceType type)
{
    switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return SUBQ_DEVICE_INTEGRATED_GPU;
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return SUBQ_DEVICE_DISCRETE_GPU;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return SUBQ_DEVICE_VIRTUAL_GPU;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return SUBQ_DEVICE_CPU;
    default: return SUBQ_DEVICE_OTHER;
    }
}

static float compute_timestamp_period(VkPhysicalDevice physical, float period)
{
    uint32_t count = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(physical, &count, NULL);
    VkQueueFamilyProperties *families = calloc(count ? count : 1, sizeof *families);
    float result = 0;
    if (!families) return 0;
    vkGetPhysicalDeviceQueueFamilyProperties(physical, &count, families);
    for (uint32_t i = 0; i < count; i++)
        if ((families[i].queueFlags & VK_QUEUE_COMPUTE_BIT) && families[i].timestampValidBits) {
            result = period;
            break;
        }
    free(families);
    return result;
}

void subq_physical_device_info(VkPhysicalDevice physical, subq_device_info *info)
{
    memset(info, 0, sizeof *info);
    VkPhysicalDeviceIDProperties ids = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ID_PROPERTIES};
    VkPhysicalDeviceDriverProperties driver = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES,
                                               .pNext = &ids};
    VkPhysicalDeviceSubgroupProperties subgroup = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES,
                                                   .pNext = &driver};
    VkPhysicalDeviceProperties2 props = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                                         .pNext = &subgroup};
    vkGetPhysicalDeviceProperties2(physical, &props);
    const VkPhysicalDeviceLimits *limits = &props.properties.limits;

    snprintf(info->name, sizeof info->name, "%s", props.properties.deviceName);
    snprintf(info->driver_name, sizeof info->driver_name, "%s", driver.driverName);
    snprintf(info->driver_info, sizeof info->driver_info, "%s", driver.driverInfo);
    info->type = device_type(props.properties.deviceType);
    info->vendor_id = props.properties.vendorID;
    info->device_id = props.properties.deviceID;
    info->driver_version = props.properties.driverVersion;
    info->api_version = props.properties.apiVersion;
    memcpy(info->device_uuid, ids.deviceUUID, sizeof info->device_uuid);
    for (int i = 0; i < 3; i++) {
        info->max_workgroup_size[i] = limits->maxComputeWorkGroupSize[i];
        info->max_workgroup_count[i] = limits->maxComputeWorkGroupCount[i];
    }
    info->max_workgroup_invocations = limits->maxComputeWorkGroupInvocations;
    info->max_shared_memory_bytes = limits->maxComputeSharedMemorySize;
    info->max_storage_buffer_range = limits->maxStorageBufferRange;
    info->max_push_constants_bytes = limits->maxPushConstantsSize;
    info->min_storage_buffer_offset_alignment = (uint32_t)limits->minStorageBufferOffsetAlignment;
    info->subgroup_size = subgroup.subgroupSize;
    info->has_subgroup_arithmetic = (subgroup.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) &&
                                    (subgroup.supportedOperations & VK_SUBGROUP_FEATURE_ARITHMETIC_BIT);
    info->timestamp_period_ns = compute_timestamp_period(physical, limits->timestampPeriod);

    VkPhysicalDeviceMemoryProperties memory;
    vkGetPhysicalDeviceMemoryProperties(physical, &memory);
    for (uint32_t i = 0; i < memory.memoryHeapCount; i++)
        if (memory.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT)
            info->device_local_bytes += memory.memoryHeaps[i].size;

    VkPhysicalDevice8BitStorageFeatures storage8 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_8BIT_STORAGE_FEATURES};
    VkPhysicalDeviceShaderFloat16Int8Features f16 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES, .pNext = &storage8};
    VkPhysicalDevice16BitStorageFeatures storage16 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES, .pNext = &f16};
    VkPhysicalDeviceFeatures2 features = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
                                          .pNext = &storage16};
    vkGetPhysicalDeviceFeatures2(physical, &features);
    info->has_float16_arithmetic = f16.shaderFloat16;
    info->has_int8_arithmetic = f16.shaderInt8;
    info->has_16bit_storage = storage16.storageBuffer16BitAccess;
    info->has_8bit_storage = storage8.storageBuffer8BitAccess;
    info->has_external_memory_fd = subq_device_has_extension(physical, VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME);
    info->has_cooperative_matrix = has_f16_cooperative_matrix(physical, info->api_version);
}

static int type_rank(subq_device_type type)
{
    switch (type) {
    case SUBQ_DEVICE_DISCRETE_GPU: return 4;
    case SUBQ_DEVICE_INTEGRATED_GPU: return 3;
    case SUBQ_DEVICE_VIRTUAL_GPU: return 2;
    case SUBQ_DEVICE_CPU: return 1;
    default: return 0;
    }
}

static bool contains_ignoring_case(const char *text, const char *part)
{
    size_t n = strlen(part);
    for (; *text; text++) {
        size_t i = 0;
        while (i < n && text[i] && tolower((unsigned char)text[i]) == tolower((unsigned char)part[i])) i++;
        if (i == n) return true;
    }
    return n == 0;
}

subq_status subq_select_device(const subq_device_info *infos, uint32_t count, const char *selector,
                               uint32_t *index)
{
    if (!selector || !*selector) selector = getenv("SUBQ_DEVICE");
    if (selector && *selector) {
        char *end = NULL;
        unsigned long n = strtoul(selector, &end, 10);
        if (*end == '\0') {
            if (n >= count)
                return subq_fail(SUBQ_ERROR_NO_DEVICE, "device selector '%s': index out of range, "
                                                       "there are %u devices", selector, count);
            *index = (uint32_t)n;
            return SUBQ_OK;
        }
        for (uint32_t i = 0; i < count; i++)
            if (contains_ignoring_case(infos[i].name, selector)) {
                *index = i;
                return SUBQ_OK;
            }
        return subq_fail(SUBQ_ERROR_NO_DEVICE, "device selector '%s': no device name contains it "
                                               "(see `subq devices`)", selector);
    }
    uint32_t best = 0;
    for (uint32_t i = 1; i < count; i++)
        if (type_rank(infos[i].type) > type_rank(infos[best].type)) best = i;
    *index = best;
    return SUBQ_OK;
}
