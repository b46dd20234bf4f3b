/* The Hyena mixer forward with its projections (QKVSequenceMixer(Hyena)) at PERF.md's shapes, in
 * SPEC.md's typical configuration: SIREN kernel, LayerNorm PixelHyena norm, depthwise K = 3 short
 * conv over 3C, identity gates; random init. The kernel and its spectrum are cached after the first
 * forward (the weights do not change), as at inference. */
#include <stdio.h>

#include "bench.h"

typedef struct hyena_args {
    subq_qkv_mixer *mixer;
    subq_tensor *x, *y;
} hyena_args;

static subq_status record(void *user, subq_stream *stream)
{
    hyena_args *a = user;
    return subq_qkv_mixer_forward(stream, a->mixer, a->x, NULL, a->y);
}

static subq_status make_mixer(bench *b, int dims, const int64_t *size, int64_t c, subq_qkv_mixer **mixer)
{
    subq_hyena_config h = {.global_conv = {.data_dim = dims, .hidden_dim = c, .causal = dims == 1},
                           .short_conv = {.kind = SUBQ_SHORT_CONV_CONV, .causal = dims == 1},
                           .pixelhyena_norm = SUBQ_HYENA_NORM_LAYER};
    for (int a = 0; a < dims; a++) h.global_conv.cache_size[a] = size[a], h.short_conv.kernel_size[a] = 3;
    subq_hyena *hyena;
    subq_status status = subq_hyena_create(b->ctx, &h, &hyena);
    if (status != SUBQ_OK) return status;
    subq_qkv_mixer_config q = {.hidden_dim = c, .mixer = subq_hyena_mixer(hyena, 1)};
    status = subq_qkv_mixer_create(b->ctx, &q, mixer);
    if (status != SUBQ_OK) {
        subq_hyena_destroy(hyena);
        return status;
    }
    return subq_qkv_mixer_init(*mixer, 1);
}

static int run_shape(bench *b, int64_t batch, int dims, const int64_t *size, int64_t c)
{
    hyena_args a = {0};
    int64_t shape[5] = {batch}, tokens = 1, flops = 0;
    for (int i = 0; i < dims; i++) shape[1 + i] = size[i], tokens *= size[i];
    shape[1 + dims] = c;
    if (make_mixer(b, dims, size, c, &a.mixer) != SUBQ_OK) return bench_fail("hyena mixer");
    a.x = bench_random_tensor(b, dims + 2, shape);
    if (a.x) subq_tensor_create(b->ctx, SUBQ_F32, dims + 2, shape, &a.y);
    subq_qkv_mixer_flop_count(a.mixer, dims, size, 1, &flops);
    char desc[96];
    if (dims == 1) snprintf(desc, sizeof desc, "B=%lld L=%lld C=%lld causal", (long long)batch, (long long)size[0],
                            (long long)c);
    else snprintf(desc, sizeof desc, "B=%lld %lldx%lld C=%lld", (long long)batch, (long long)size[0],
                  (long long)size[1], (long long)c);
    int failed = !a.y ? bench_fail("hyena tensors")
                      : bench_measure(b, "hyena_mixer", desc, record, &a, 8.0 * (double)(batch * tokens * c),
                                      (double)(flops * batch));
    subq_tensor_destroy(a.x);
    subq_tensor_destroy(a.y);
    subq_qkv_mixer_destroy(a.mixer);
    return failed;
}

int bench_hyena(bench *b)
{
    if (b->info.type == SUBQ_DEVICE_CPU)
        return run_shape(b, 2, 1, (int64_t[]){256}, 64) || run_shape(b, 2, 2, (int64_t[]){16, 16}, 32);
    return run_shape(b, 8, 1, (int64_t[]){8192}, 768) || run_shape(b, 8, 2, (int64_t[]){64, 64}, 256);
}
