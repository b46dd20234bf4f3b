/* libFuzzer target: the public entry points with arguments decoded from the input — random shapes,
 * strided and offset views, dtypes, NULLs, out-of-range enums and options, garbage integer tensors
 * (indices, cu_seqlens). Every call must either succeed (then its GPU work runs to completion) or
 * return an error: never crash, hang, or touch memory it should not (AddressSanitizer watches the
 * host side; lavapipe runs the shaders in host memory without robust buffer access). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "subq/subq.h"

#define POOL 8

typedef struct reader {
    const uint8_t *data;
    size_t size, at;
} reader;

static uint8_t byte(reader *r) { return r->at < r->size ? r->data[r->at++] : 0; }

static subq_context *ctx;
static subq_stream *stream;

static void fill(subq_tensor *t, reader *r)
{
    int64_t n = subq_tensor_numel(t);
    int32_t *values = malloc((size_t)n * sizeof *values);
    if (!values) return;
    bool ints = subq_tensor_dtype(t) == SUBQ_I32;
    for (int64_t i = 0; i < n; i++) {
        int32_t v = (int8_t)byte(r);
        float f = (float)v / 64.0f;
        if (ints) values[i] = v;
        else memcpy(&values[i], &f, sizeof f);
    }
    subq_tensor_upload(t, values, (size_t)n * sizeof *values); /* fails on views with gaps: fine */
    free(values);
}

/* A new tensor, or a view of an earlier one; NULL when the decoded request is invalid. */
static subq_tensor *make_tensor(reader *r, subq_tensor **pool, int made)
{
    int rank = 1 + byte(r) % 6; /* 6: invalid on purpose */
    int64_t shape[6], strides[6];
    for (int i = 0; i < rank; i++) {
        shape[i] = byte(r) % 9; /* 0: invalid */
        strides[i] = (int8_t)byte(r) % 40;
    }
    subq_tensor *t = NULL;
    uint8_t kind = byte(r);
    if (kind % 3 == 0 && made > 0) {
        subq_tensor *base = pool[byte(r) % made];
        if (base) subq_tensor_view(base, byte(r) % 64, rank, shape, kind & 8 ? strides : NULL, &t);
    } else {
        subq_tensor_create(ctx, kind & 4 ? SUBQ_I32 : SUBQ_F32, rank, shape, &t);
        if (t) fill(t, r);
    }
    return t;
}

/* pool[POOL] is always NULL: optional and required arguments both get NULL sometimes. */
static subq_tensor *pick(reader *r, subq_tensor **pool) { return pool[byte(r) % (POOL + 1)]; }

static subq_status call(reader *r, subq_tensor **pool)
{
    int32_t host_cu[9];
    for (int i = 0; i < 9; i++) host_cu[i] = (int8_t)byte(r);
    subq_depthwise_conv_options dw = {.padding = (subq_padding)(byte(r) % 4), .channels = (int8_t)byte(r),
                                      .cp_rank = (int8_t)byte(r), .cp_size = (int8_t)byte(r),
                                      .explicit_padding = {(int8_t)byte(r), (int8_t)byte(r), (int8_t)byte(r)}};
    subq_causal_conv1d_options conv = {.activation = (subq_activation)(byte(r) % 8)};
    subq_causal_conv1d_update_options update = {.activation = (subq_activation)(byte(r) % 8)};
    subq_causal_conv1d_varlen_options varlen = {.host_cu_seqlens = byte(r) & 1 ? host_cu : NULL};
    switch (byte(r) % 6) {
    case 0: return subq_depthwise_conv(stream, pick(r, pool), pick(r, pool), pick(r, pool), byte(r) & 1 ? &dw : NULL,
                                       pick(r, pool));
    case 1: return subq_tensor_copy(stream, pick(r, pool), pick(r, pool));
    case 2: return subq_causal_conv1d(stream, pick(r, pool), pick(r, pool), pick(r, pool), pick(r, pool),
                                      pick(r, pool), &conv, pick(r, pool), pick(r, pool));
    case 3: return subq_causal_conv1d_update(stream, pick(r, pool), pick(r, pool), pick(r, pool), pick(r, pool),
                                             pick(r, pool), pick(r, pool), &update, pick(r, pool));
    case 4: return subq_causal_conv1d_varlen(stream, pick(r, pool), pick(r, pool), pick(r, pool), pick(r, pool),
                                             pick(r, pool), pick(r, pool), pick(r, pool), &varlen, pick(r, pool));
    default: return subq_causal_conv1d_varlen_carry_states(stream, pick(r, pool), pick(r, pool), pick(r, pool),
                                                           &varlen, pick(r, pool));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ctx) {
        subq_context_options options = {.validation = SUBQ_TOGGLE_OFF, .pipeline_cache = SUBQ_TOGGLE_OFF};
        if (subq_context_create(&options, &ctx) != SUBQ_OK || subq_stream_create(ctx, &stream) != SUBQ_OK) abort();
    }
    reader r = {data, size, 0};
    subq_tensor *pool[POOL + 1] = {0};
    for (int i = 0; i < POOL; i++) pool[i] = make_tensor(&r, pool, i);
    for (int calls = byte(&r) % 4; calls >= 0; calls--)
        if (call(&r, pool) == SUBQ_OK && subq_stream_wait(stream) != SUBQ_OK) abort();
    if (subq_stream_wait(stream) != SUBQ_OK) abort();
    for (int i = 0; i < POOL; i++) subq_tensor_destroy(pool[i]);
    return 0;
}
