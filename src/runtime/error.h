#ifndef SUBQ_ERROR_H
#define SUBQ_ERROR_H

#include <volk.h>

#include "subq/subq.h"

/* Record the message for subq_last_error() and return status, so callers can write
 * `return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "x: expected ...", ...);`. */
subq_status subq_fail(subq_status status, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* Map a failed VkResult to a status with a message naming the call. */
subq_status subq_fail_vk(VkResult result, const char *call);

void subq_clear_error(void);

#define SUBQ_TRY(expr)                      \
    do {                                    \
        subq_status subq_try_ = (expr);     \
        if (subq_try_ != SUBQ_OK) return subq_try_; \
    } while (0)

#define SUBQ_VK_TRY(expr)                                 \
    do {                                                  \
        VkResult subq_vk_ = (expr);                       \
        if (subq_vk_ != VK_SUCCESS) return subq_fail_vk(subq_vk_, #expr); \
    } while (0)

#endif
