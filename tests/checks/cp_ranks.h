/* Running a check body on every rank of a local context-parallel group: one context and one thread
 * per rank, as P processes would drive them (cp_check.c, cp_hyena_check.c). */
#ifndef SUBQ_CHECK_CP_RANKS_H
#define SUBQ_CHECK_CP_RANKS_H

#include "check.h"

#define CP_MAX_RANKS 4

typedef struct cp_world {
    subq_context *contexts[CP_MAX_RANKS]; /* [0] is the checker's */
} cp_world;

typedef struct rank_run {
    checker c; /* this rank's stream and tallies */
    subq_cp_group *group;
    int rank, size;
    const void *job;
    void (*body)(struct rank_run *);
} rank_run;

/* contexts[1..] made next to the checker's; false (reported) on failure. */
bool cp_world_create(checker *c, cp_world *w);
void cp_world_destroy(cp_world *w);

/* body on every rank of a new local group of size ranks, one thread each; their tallies are added
 * to c's. */
void cp_run_ranks(checker *c, cp_world *w, int size, void (*body)(rank_run *), const void *job);

#endif
