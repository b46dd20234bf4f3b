/* An "engine" that owns Vulkan: it creates the instance, device, queue and buffers (linking the
 * system's libvulkan, as engines do), produces data each frame, and records subq's work into its
 * own command buffer between its own barriers. subq only borrows what it is given.
 * Exit status 0 when every frame's result matches the CPU and the validation layer stayed quiet. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

#include <vulkan/vulkan.h>

#include "subq/subq_vulkan.h"

enum { BATCH = 2, CHANNELS = 48, LENGTH = 1000, TAPS = 4, FRAMES = 5 };

typedef struct engine {
    VkInstance instance;
    VkDebugUtilsMessengerEXT messenger;
    VkPhysicalDevice physical;
    VkDevice device;
    uint32_t family;
    VkQueue queue;
    mtx_t queue_lock;
    VkCommandPool pool;
    VkCommandBuffer cmd;
    VkFence fence;
    int validation_messages;
} engine;

typedef struct host_buffer {
    VkBuffer buffer;
    VkDeviceMemory memory;
    float *mapped;
    VkDeviceSize bytes;
} host_buffer;

#define VK_CHECK(call)                                                       \
    do {                                                                     \
        VkResult r_ = (call);                                                \
        if (r_ != VK_SUCCESS) {                                              \
            fprintf(stderr, "engine: %s failed (%d)\n", #call, (int)r_);     \
            exit(1);                                                         \
        }                                                                    \
    } while (0)

static VKAPI_ATTR VkBool32 VKAPI_CALL on_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                 VkDebugUtilsMessageTypeFlagsEXT type,
                                                 const VkDebugUtilsMessengerCallbackDataEXT *data, void *user)
{
    (void)severity;
    (void)type;
    ((engine *)user)->validation_messages++;
    fprintf(stderr, "engine validation: %s\n", data->pMessage);
    return VK_FALSE;
}

static void create_instance(engine *e)
{
    const char *env = getenv("SUBQ_VALIDATION");
    int validation = env && !strcmp(env, "1");
    const char *layer = "VK_LAYER_KHRONOS_validation", *ext = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
    VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO, .pApplicationName = "engine",
                             .apiVersion = VK_API_VERSION_1_1};
    VkInstanceCreateInfo info = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO, .pApplicationInfo = &app,
                                 .enabledLayerCount = validation, .ppEnabledLayerNames = &layer,
                                 .enabledExtensionCount = validation, .ppEnabledExtensionNames = &ext};
    VK_CHECK(vkCreateInstance(&info, NULL, &e->instance));
    if (!validation) return;
    VkDebugUtilsMessengerCreateInfoEXT messenger = {
        .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
        .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
        .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT,
        .pfnUserCallback = on_message, .pUserData = e};
    PFN_vkCreateDebugUtilsMessengerEXT create =
        (PFN_vkCreateDebugUtilsMessengerEXT)vkGetInstanceProcAddr(e->instance, "vkCreateDebugUtilsMessengerEXT");
    VK_CHECK(create(e->instance, &messenger, NULL, &e->messenger));
}

/* The engine's device, with the extensions subq asks for enabled next to its own. */
static void create_device(engine *e)
{
    uint32_t count = 1;
    VkResult r = vkEnumeratePhysicalDevices(e->instance, &count, &e->physical);
    if (r != VK_SUCCESS && r != VK_INCOMPLETE) exit(1);
    VkQueueFamilyProperties families[16];
    uint32_t n = 16;
    vkGetPhysicalDeviceQueueFamilyProperties(e->physical, &n, families);
    for (e->family = 0; e->family < n && !(families[e->family].queueFlags & VK_QUEUE_COMPUTE_BIT); e->family++) {}
    const char *extensions[8];
    uint32_t extension_count = 0;
    for (const char *const *x = subq_vulkan_required_device_extensions(); *x; x++) extensions[extension_count++] = *x;
    float priority = 1;
    VkDeviceQueueCreateInfo queue = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                     .queueFamilyIndex = e->family, .queueCount = 1, .pQueuePriorities = &priority};
    VkDeviceCreateInfo info = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO, .queueCreateInfoCount = 1,
                               .pQueueCreateInfos = &queue, .enabledExtensionCount = extension_count,
                               .ppEnabledExtensionNames = extensions};
    VK_CHECK(vkCreateDevice(e->physical, &info, NULL, &e->device));
    vkGetDeviceQueue(e->device, e->family, 0, &e->queue);
    VkCommandPoolCreateInfo pool = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                    .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
                                    .queueFamilyIndex = e->family};
    VK_CHECK(vkCreateCommandPool(e->device, &pool, NULL, &e->pool));
    VkCommandBufferAllocateInfo cmd = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                       .commandPool = e->pool, .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                       .commandBufferCount = 1};
    VK_CHECK(vkAllocateCommandBuffers(e->device, &cmd, &e->cmd));
    VkFenceCreateInfo fence = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VK_CHECK(vkCreateFence(e->device, &fence, NULL, &e->fence));
    mtx_init(&e->queue_lock, mtx_plain);
}

static host_buffer create_buffer(engine *e, VkDeviceSize bytes)
{
    host_buffer b = {.bytes = bytes};
    VkBufferCreateInfo info = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO, .size = bytes,
                               .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                                        VK_BUFFER_USAGE_TRANSFER_DST_BIT};
    VK_CHECK(vkCreateBuffer(e->device, &info, NULL, &b.buffer));
    VkMemoryRequirements needs;
    vkGetBufferMemoryRequirements(e->device, b.buffer, &needs);
    VkPhysicalDeviceMemoryProperties props;
    vkGetPhysicalDeviceMemoryProperties(e->physical, &props);
    VkMemoryPropertyFlags want = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    uint32_t type = 0;
    while (type < props.memoryTypeCount &&
           (!(needs.memoryTypeBits & (1u << type)) || (props.memoryTypes[type].propertyFlags & want) != want))
        type++;
    VkMemoryAllocateInfo alloc = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, .allocationSize = needs.size,
                                  .memoryTypeIndex = type};
    VK_CHECK(vkAllocateMemory(e->device, &alloc, NULL, &b.memory));
    VK_CHECK(vkBindBufferMemory(e->device, b.buffer, b.memory, 0));
    VK_CHECK(vkMapMemory(e->device, b.memory, 0, VK_WHOLE_SIZE, 0, (void **)&b.mapped));
    return b;
}

static void destroy_buffer(engine *e, host_buffer *b)
{
    vkDestroyBuffer(e->device, b->buffer, NULL);
    vkFreeMemory(e->device, b->memory, NULL);
}

/* The embedding API refuses what it cannot honour, with a message naming the argument. */
static int expect_refusal(subq_status status, const char *mentions)
{
    if (status == SUBQ_ERROR_INVALID_ARGUMENT && strstr(subq_last_error(), mentions)) return 0;
    fprintf(stderr, "engine: expected a refusal mentioning '%s', got %d: %s\n", mentions, (int)status,
            subq_last_error());
    return 1;
}

static int check_refusals(engine *e, subq_context *ctx, host_buffer *b)
{
    subq_tensor *t = NULL;
    subq_stream *s = NULL;
    int64_t too_big[1] = {(int64_t)(b->bytes / 4) + 1};
    subq_vulkan_device missing = {0};
    subq_context *unused = NULL;
    int failures = expect_refusal(subq_tensor_wrap_vulkan_buffer(ctx, b->buffer, 2, 64, SUBQ_F32, 1, too_big, &t),
                                  "offset") +
                   expect_refusal(subq_tensor_wrap_vulkan_buffer(ctx, b->buffer, 0, b->bytes, SUBQ_F32, 1, too_big, &t),
                                  "past the") +
                   expect_refusal(subq_context_create_vulkan(&missing, NULL, &unused), "get_instance_proc_addr");
    if (subq_stream_create_vulkan(ctx, e->cmd, &s) != SUBQ_OK) return failures + 1;
    failures += expect_refusal(subq_stream_wait(s), "host command buffer");
    subq_stream_destroy(s);
    return failures;
}

static void lock_queue(void *user) { mtx_lock(&((engine *)user)->queue_lock); }
static void unlock_queue(void *user) { mtx_unlock(&((engine *)user)->queue_lock); }

/* What the frame's conv must give: causal depthwise conv, one weight row per channel. */
static double frame_error(const float *x, const float *w, const float *y)
{
    double worst = 0;
    for (int b = 0; b < BATCH; b++)
        for (int c = 0; c < CHANNELS; c++)
            for (int t = 0; t < LENGTH; t++) {
                double acc = 0;
                for (int k = 0; k < TAPS; k++) {
                    int src = t - (TAPS - 1) + k;
                    if (src >= 0) acc += (double)w[c * TAPS + k] * x[(b * CHANNELS + c) * LENGTH + src];
                }
                worst = fmax(worst, fabs(acc - y[(b * CHANNELS + c) * LENGTH + t]));
            }
    return worst;
}

/* One frame: the engine writes x, records subq's conv into its command buffer, then its own
 * barrier so the host can read y, submits under its queue lock and waits on its own fence. */
static int run_frame(engine *e, subq_context *ctx, subq_tensor *x, subq_tensor *w, subq_tensor *y,
                     host_buffer *xb, host_buffer *yb, const float *weights, int frame)
{
    for (int i = 0; i < BATCH * CHANNELS * LENGTH; i++) xb->mapped[i] = sinf(0.01f * (float)(i + 97 * frame));
    memset(yb->mapped, 0xff, yb->bytes); /* NaN: an unwritten element cannot pass */
    VkCommandBufferBeginInfo begin = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    VK_CHECK(vkBeginCommandBuffer(e->cmd, &begin));
    subq_stream *stream = NULL;
    subq_depthwise_conv_options causal = {.padding = SUBQ_PADDING_CAUSAL};
    if (subq_stream_create_vulkan(ctx, e->cmd, &stream) != SUBQ_OK ||
        subq_depthwise_conv(stream, x, w, NULL, &causal, y) != SUBQ_OK) {
        fprintf(stderr, "engine: subq: %s\n", subq_last_error());
        return 1;
    }
    subq_stream_destroy(stream);
    VkMemoryBarrier to_host = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER, .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
                               .dstAccessMask = VK_ACCESS_HOST_READ_BIT};
    vkCmdPipelineBarrier(e->cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &to_host,
                         0, NULL, 0, NULL);
    VK_CHECK(vkEndCommandBuffer(e->cmd));
    VkSubmitInfo submit = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1, .pCommandBuffers = &e->cmd};
    lock_queue(e);
    VK_CHECK(vkQueueSubmit(e->queue, 1, &submit, e->fence));
    unlock_queue(e);
    VK_CHECK(vkWaitForFences(e->device, 1, &e->fence, VK_TRUE, UINT64_MAX));
    VK_CHECK(vkResetFences(e->device, 1, &e->fence));
    double error = frame_error(xb->mapped, weights, yb->mapped);
    printf("frame %d: max error %.2e\n", frame, error);
    return !(error < 1e-5);
}

int main(void)
{
    engine e = {0};
    create_instance(&e);
    create_device(&e);
    subq_vulkan_device host = {.get_instance_proc_addr = vkGetInstanceProcAddr, .instance = e.instance,
                               .physical_device = e.physical, .device = e.device, .queue_family_index = e.family,
                               .queue = e.queue, .lock_queue = lock_queue, .unlock_queue = unlock_queue, .user = &e};
    subq_context *ctx = NULL;
    if (subq_context_create_vulkan(&host, NULL, &ctx) != SUBQ_OK) {
        fprintf(stderr, "engine: subq: %s\n", subq_last_error());
        return 1;
    }
    VkDeviceSize activations = sizeof(float) * BATCH * CHANNELS * LENGTH;
    host_buffer xb = create_buffer(&e, activations), yb = create_buffer(&e, activations);
    int64_t shape[3] = {BATCH, CHANNELS, LENGTH}, w_shape[2] = {CHANNELS, TAPS};
    subq_tensor *x = NULL, *y = NULL, *w = NULL;
    float weights[CHANNELS * TAPS];
    for (int i = 0; i < CHANNELS * TAPS; i++) weights[i] = 0.25f + 0.01f * (float)(i % 17);
    int failed = subq_tensor_wrap_vulkan_buffer(ctx, xb.buffer, 0, xb.bytes, SUBQ_F32, 3, shape, &x) ||
                 subq_tensor_wrap_vulkan_buffer(ctx, yb.buffer, 0, yb.bytes, SUBQ_F32, 3, shape, &y) ||
                 subq_tensor_create(ctx, SUBQ_F32, 2, w_shape, &w) ||
                 subq_tensor_upload(w, weights, sizeof weights); /* through the engine's queue lock */
    if (failed) fprintf(stderr, "engine: subq: %s\n", subq_last_error());
    failed = failed || check_refusals(&e, ctx, &xb);
    for (int frame = 0; frame < FRAMES && !failed; frame++)
        failed = run_frame(&e, ctx, x, w, y, &xb, &yb, weights, frame);
    subq_tensor_destroy(x);
    subq_tensor_destroy(y);
    subq_tensor_destroy(w);
    subq_context_destroy(ctx);
    /* The engine's objects are still its own and still valid: it releases them itself. */
    destroy_buffer(&e, &xb);
    destroy_buffer(&e, &yb);
    vkDestroyFence(e.device, e.fence, NULL);
    vkDestroyCommandPool(e.device, e.pool, NULL);
    vkDestroyDevice(e.device, NULL);
    if (e.messenger) {
        PFN_vkDestroyDebugUtilsMessengerEXT destroy =
            (PFN_vkDestroyDebugUtilsMessengerEXT)vkGetInstanceProcAddr(e.instance, "vkDestroyDebugUtilsMessengerEXT");
        destroy(e.instance, e.messenger, NULL);
    }
    vkDestroyInstance(e.instance, NULL);
    mtx_destroy(&e.queue_lock);
    if (e.validation_messages) fprintf(stderr, "engine: %d validation messages\n", e.validation_messages);
    printf("%s\n", failed || e.validation_messages ? "engine sample FAILED" : "engine sample passed");
    return failed || e.validation_messages;
}
