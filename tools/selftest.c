/* subq selftest: every operator's check (a reduced grid) on the chosen device. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "checks/check.h"
#include "commands.h"

int command_selftest(int argc, char **argv)
{
    bool full = argc > 1 && !strcmp(argv[1], "--full");
    subq_context *ctx = NULL;
    subq_stream *stream = NULL;
    if (subq_context_create(NULL, &ctx) != SUBQ_OK || subq_stream_create(ctx, &stream) != SUBQ_OK) {
        fprintf(stderr, "subq selftest: %s\n", subq_last_error());
        subq_context_destroy(ctx);
        return 1;
    }
    subq_device_info info;
    subq_context_get_device_info(ctx, &info);
    uint64_t seed = check_seed_from_env();
    printf("device: %s\nseed:   0x%" PRIx64 " (repeat with SUBQ_SEED)\n\n", info.name, seed);
    printf("%-26s %7s %7s  %s\n", "operator", "passed", "failed", "result");
    int failed_ops = 0;
    for (const check_entry *e = subq_checks; e->name; e++) {
        checker c;
        checker_init(&c, ctx, stream, seed);
        c.quick = !full;
        e->run(&c);
        printf("%-26s %7d %7d  %s\n", e->name, c.passed, c.failed, c.failed ? "FAIL" : "pass");
        fflush(stdout);
        failed_ops += c.failed != 0;
    }
    subq_stream_destroy(stream);
    subq_context_destroy(ctx);
    printf("\n%s\n", failed_ops ? "selftest FAILED" : "selftest passed");
    return failed_ops ? 1 : 0;
}
