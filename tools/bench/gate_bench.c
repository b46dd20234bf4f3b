/* Hyena's gates at (8, 8192, 768): y = a * silu(b) on dense tensors, and z = q * silu(k) in place
 * on the q and k column blocks of one [B*L, 3C] projection. */
#include <stdio.h>

#include "bench.h"

typedef struct gate_args {
    subq_tensor *a, *b, *y;
} gate_args;

static subq_status record(void *user, subq_stream *stream)
{
    gate_args *a = user;
    return subq_gate(stream, a->a, a->b, SUBQ_ACTIVATION_SILU, a->y);
}

static int time_and_report(bench *b, gate_args *a, const char *desc, int64_t elements)
{
    return bench_measure(b, "gate", desc, record, a, 12.0 * (double)elements, 0);
}

static int dense(bench *b, int64_t rows, int64_t channels, const char *desc)
{
    int64_t shape[2] = {rows, channels};
    gate_args a = {.a = bench_random_tensor(b, 2, shape), .b = bench_random_tensor(b, 2, shape)};
    int failed = !a.a || !a.b || subq_tensor_create(b->ctx, SUBQ_F32, 2, shape, &a.y) != SUBQ_OK;
    failed = failed ? bench_fail("gate tensors") : time_and_report(b, &a, desc, rows * channels);
    subq_tensor_destroy(a.a);
    subq_tensor_destroy(a.b);
    subq_tensor_destroy(a.y);
    return failed;
}

static int qkv_in_place(bench *b, int64_t rows, int64_t channels, const char *desc)
{
    int64_t shape[2] = {rows, channels}, strides[2] = {3 * channels, 1};
    subq_tensor *qkv = bench_random_tensor(b, 2, (int64_t[]){rows, 3 * channels});
    gate_args a = {0};
    int failed = !qkv || subq_tensor_view(qkv, 0, 2, shape, strides, &a.a) != SUBQ_OK ||
                 subq_tensor_view(qkv, channels, 2, shape, strides, &a.b) != SUBQ_OK;
    a.y = a.a;
    failed = failed ? bench_fail("gate views") : time_and_report(b, &a, desc, rows * channels);
    subq_tensor_destroy(a.a);
    subq_tensor_destroy(a.b);
    subq_tensor_destroy(qkv);
    return failed;
}

int bench_gate(bench *b)
{
    bool small = b->info.type == SUBQ_DEVICE_CPU;
    int64_t batch = small ? 1 : 8, len = small ? 2048 : 8192, channels = 768;
    char desc[2][96];
    snprintf(desc[0], sizeof desc[0], "B=%lld L=%lld C=%lld a*silu(b)", (long long)batch, (long long)len,
             (long long)channels);
    snprintf(desc[1], sizeof desc[1], "B=%lld L=%lld C=%lld q*=silu(k) in qkv", (long long)batch, (long long)len,
             (long long)channels);
    return dense(b, batch * len, channels, desc[0]) || qkv_in_place(b, batch * len, channels, desc[1]);
}
