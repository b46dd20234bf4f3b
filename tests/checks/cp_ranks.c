#include "cp_ranks.h"

#include <stdio.h>
#include <stdlib.h>
#include <threads.h>

bool cp_world_create(checker *c, cp_world *w)
{
    *w = (cp_world){.contexts = {c->ctx}};
    for (int r = 1; r < CP_MAX_RANKS; r++)
        if (!check_ok(c, "cp context", subq_context_create(NULL, &w->contexts[r]))) return false;
    return true;
}

void cp_world_destroy(cp_world *w)
{
    for (int r = 1; r < CP_MAX_RANKS; r++) subq_context_destroy(w->contexts[r]);
}

static int rank_main(void *arg)
{
    rank_run *run = arg;
    run->body(run);
    return 0;
}

void cp_run_ranks(checker *c, cp_world *w, int size, void (*body)(rank_run *), const void *job)
{
    subq_cp_group *groups[CP_MAX_RANKS] = {0};
    rank_run runs[CP_MAX_RANKS];
    thrd_t threads[CP_MAX_RANKS];
    if (!check_ok(c, "cp group", subq_cp_group_create_local(size, w->contexts, groups))) return;
    for (int r = 0; r < size; r++) {
        subq_stream *stream = NULL;
        check_ok(c, "cp stream", subq_stream_create(w->contexts[r], &stream));
        checker_init(&runs[r].c, w->contexts[r], stream, c->rng + (uint64_t)r);
        runs[r].c.verbose = c->verbose;
        runs[r] = (rank_run){.c = runs[r].c, .group = groups[r], .rank = r, .size = size, .job = job, .body = body};
    }
    for (int r = 0; r < size; r++)
        if (thrd_create(&threads[r], rank_main, &runs[r]) != thrd_success) {
            fprintf(stderr, "cp: could not start a rank thread\n");
            exit(2);
        }
    for (int r = 0; r < size; r++) thrd_join(threads[r], NULL);
    for (int r = 0; r < size; r++) {
        c->passed += runs[r].c.passed;
        c->failed += runs[r].c.failed;
        subq_stream_destroy(runs[r].c.stream);
        subq_cp_group_destroy(groups[r]);
    }
    c->rng += 0x9e3779b97f4a7c15ull;
}
