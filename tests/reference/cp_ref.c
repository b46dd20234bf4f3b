/* SPEC 6: the zigzag layout of context parallelism, on the host. */
#include "reference.h"

int64_t ref_cp_position(int64_t length, int64_t ranks, int64_t rank, int64_t local)
{
    int64_t chunk = length / (2 * ranks);
    return local < chunk ? rank * chunk + local : (2 * ranks - 1 - rank) * chunk + (local - chunk);
}

void ref_cp_split(const ref_cp_shape *s, int64_t rank, const double *global, double *local)
{
    int64_t local_length = s->length / s->ranks;
    for (int64_t bc = 0; bc < s->batch * s->channels; bc++)
        for (int64_t l = 0; l < local_length; l++)
            for (int64_t i = 0; i < s->rest; i++)
                local[(bc * local_length + l) * s->rest + i] =
                    global[(bc * s->length + ref_cp_position(s->length, s->ranks, rank, l)) * s->rest + i];
}

void ref_cp_full(const ref_cp_shape *s, int64_t rank, const double *global, double *full)
{
    int64_t block = s->channels / s->ranks, row = s->length * s->rest;
    for (int64_t b = 0; b < s->batch; b++)
        for (int64_t c = 0; c < block; c++)
            for (int64_t i = 0; i < row; i++)
                full[(b * block + c) * row + i] = global[(b * s->channels + rank * block + c) * row + i];
}
