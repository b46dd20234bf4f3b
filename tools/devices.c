/* subq devices: what Vulkan offers here and what subq would use. */
#include <stdio.h>

#include "commands.h"
#include "subq/subq.h"

static const char *type_name(subq_device_type type)
{
    switch (type) {
    case SUBQ_DEVICE_DISCRETE_GPU: return "discrete GPU";
    case SUBQ_DEVICE_INTEGRATED_GPU: return "integrated GPU";
    case SUBQ_DEVICE_VIRTUAL_GPU: return "virtual GPU";
    case SUBQ_DEVICE_CPU: return "CPU";
    default: return "other";
    }
}

static void print_limits(const subq_device_info *d)
{
    printf("    driver         %s (%s), Vulkan %u.%u.%u\n", d->driver_name, d->driver_info,
           d->api_version >> 22, (d->api_version >> 12) & 0x3ff, d->api_version & 0xfff);
    printf("    memory         %.1f GiB device-local\n", (double)d->device_local_bytes / (1 << 30));
    printf("    workgroup      %u invocations, size %u x %u x %u, count %u x %u x %u\n",
           d->max_workgroup_invocations, d->max_workgroup_size[0], d->max_workgroup_size[1],
           d->max_workgroup_size[2], d->max_workgroup_count[0], d->max_workgroup_count[1],
           d->max_workgroup_count[2]);
    printf("    shared memory  %u bytes per workgroup; subgroup %u\n", d->max_shared_memory_bytes,
           d->subgroup_size);
    printf("    buffers        %llu bytes per binding, offset alignment %u, push constants %u bytes\n",
           (unsigned long long)d->max_storage_buffer_range, d->min_storage_buffer_offset_alignment,
           d->max_push_constants_bytes);
    printf("    features       fp16 math %s, int8 math %s, 16-bit storage %s, 8-bit storage %s, "
           "external memory %s, cooperative matrix %s, subgroup arithmetic %s\n",
           d->has_float16_arithmetic ? "yes" : "no", d->has_int8_arithmetic ? "yes" : "no",
           d->has_16bit_storage ? "yes" : "no", d->has_8bit_storage ? "yes" : "no",
           d->has_external_memory_fd ? "yes" : "no", d->has_cooperative_matrix ? "yes" : "no",
           d->has_subgroup_arithmetic ? "yes" : "no");
    if (d->timestamp_period_ns > 0)
        printf("    timestamps     %.3g ns per tick\n", d->timestamp_period_ns);
    else
        printf("    timestamps     none on the compute queue\n");
}

int command_devices(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    uint32_t count = 0, chosen = 0;
    if (subq_device_count(&count) != SUBQ_OK || subq_device_choose(NULL, &chosen) != SUBQ_OK) {
        fprintf(stderr, "subq devices: %s\n", subq_last_error());
        return 1;
    }
    for (uint32_t i = 0; i < count; i++) {
        subq_device_info d;
        if (subq_device_get_info(i, &d) != SUBQ_OK) {
            fprintf(stderr, "subq devices: %s\n", subq_last_error());
            return 1;
        }
        printf("%s %u: %s (%s)\n", i == chosen ? "*" : " ", i, d.name, type_name(d.type));
        print_limits(&d);
    }
    printf("\n* = the device subq uses (choose another with SUBQ_DEVICE=<index or name>)\n");
    return 0;
}
