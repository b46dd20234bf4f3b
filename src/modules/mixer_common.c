#include <math.h>

#include "modules/mixer_common.h"
#include "modules/scratch.h"
#include "runtime/args.h"

subq_status subq_mixer_check(const subq_sequence_mixer *m, int64_t hidden_dim)
{
    if (!m->self || !m->forward || !m->parameters || !m->init || !m->flop_count || !m->describe)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "config.mixer: expected self, forward, parameters, init, "
                                                      "flop_count and describe, got a NULL among them");
    if (hidden_dim < 1 || m->hidden_dim != hidden_dim)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "config.hidden_dim: expected the inner mixer's %lld (>= 1), got %lld",
                         (long long)m->hidden_dim, (long long)hidden_dim);
    return SUBQ_OK;
}

subq_status subq_mixer_init_linear(subq_parameters *p, const char *weight, const char *bias, subq_random *r,
                                   int64_t in_features, double std)
{
    double bound = 1.0 / sqrt((double)in_features);
    if (std > 0.0) {
        SUBQ_TRY(subq_parameters_init_normal(p, weight, r, 0.0, std));
        return bias ? subq_parameters_init_constant(p, bias, 0.0) : SUBQ_OK;
    }
    SUBQ_TRY(subq_parameters_init_uniform(p, weight, r, -bound, bound));
    return bias ? subq_parameters_init_uniform(p, bias, r, -bound, bound) : SUBQ_OK;
}

subq_status subq_mixer_check_io(const subq_stream *stream, const subq_tensor *x, const subq_tensor *out,
                                int64_t channels)
{
    SUBQ_TRY(subq_arg_stream(stream));
    SUBQ_TRY(subq_arg_float_tensor("x", x, stream, 2, SUBQ_MAX_RANK));
    if (x->shape[x->rank - 1] != channels) {
        char got[96];
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "x: expected [B, *S, %lld] channels-last, got %s",
                         (long long)channels, subq_format_shape(got, sizeof got, x->rank, x->shape));
    }
    SUBQ_TRY(subq_arg_dense("x", x));
    SUBQ_TRY(subq_arg_float_tensor("out", out, stream, x->rank, x->rank));
    SUBQ_TRY(subq_arg_shape("out", out, x->rank, x->shape));
    SUBQ_TRY(subq_arg_dense("out", out));
    return subq_arg_disjoint("out", out, "x", x);
}

subq_status subq_mixer_output(subq_scratch *scratch, int32_t slot, const subq_tensor *x, subq_tensor *mixed)
{
    int64_t shape[SUBQ_MAX_RANK] = {x->shape[0], x->shape[x->rank - 1]};
    for (int i = 1; i < x->rank - 1; i++) shape[i + 1] = x->shape[i];
    subq_tensor *stored;
    SUBQ_TRY(subq_scratch_get(scratch, slot, x->rank, shape, &stored));
    *mixed = subq_view_channels_last(stored);
    return SUBQ_OK;
}

subq_tensor subq_mixer_columns(const subq_tensor *t, int64_t i, int64_t c)
{
    subq_tensor v = subq_view_of(t, i * c, t->rank, t->shape, t->strides);
    v.shape[t->rank - 1] = c;
    return v;
}

void subq_mixer_release(const subq_sequence_mixer *inner, subq_parameters *parameters, subq_scratch *scratch)
{
    subq_scratch_release(scratch);
    subq_parameters_destroy(parameters);
    if (inner->destroy) inner->destroy(inner->self);
}
