/* Runs operator checks (all, or those named on the command line) on the default device, with the
 * validation layer when SUBQ_VALIDATION=1; any validation message fails the run. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "checks/check.h"

static int run(subq_context *ctx, const check_entry *entry, uint64_t seed)
{
    subq_stream *stream = NULL;
    if (subq_stream_create(ctx, &stream) != SUBQ_OK) {
        fprintf(stderr, "stream: %s\n", subq_last_error());
        return 1;
    }
    checker c;
    checker_init(&c, ctx, stream, seed);
    c.verbose = getenv("SUBQ_VERBOSE") != NULL;
    entry->run(&c);
    subq_stream_destroy(stream);
    printf("%-24s %d passed, %d failed (seed 0x%" PRIx64 ")\n", entry->name, c.passed, c.failed, seed);
    return c.failed;
}

int main(int argc, char **argv)
{
    subq_context *ctx = NULL;
    if (subq_context_create(NULL, &ctx) != SUBQ_OK) {
        fprintf(stderr, "context: %s\n", subq_last_error());
        return 1;
    }
    uint64_t seed = check_seed_from_env();
    int failed = 0;
    for (const check_entry *e = subq_checks; e->name; e++) {
        int wanted = argc == 1;
        for (int i = 1; i < argc; i++) wanted |= check_find(argv[i]) == e;
        if (wanted) failed += run(ctx, e, seed);
    }
    for (int i = 1; i < argc; i++)
        if (!check_find(argv[i])) {
            fprintf(stderr, "no check named '%s'\n", argv[i]);
            failed++;
        }
    uint32_t messages = subq_context_validation_message_count(ctx);
    subq_context_destroy(ctx);
    if (messages) {
        fprintf(stderr, "FAIL: %u validation message(s)\n", messages);
        failed++;
    }
    return failed ? 1 : 0;
}
