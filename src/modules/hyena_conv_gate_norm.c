/* Hyena's front on 1D rows in one pass (shaders/hyena_conv_gate_norm.comp): the short conv of q,
 * k and v, z = pixelhyena_norm(q * gate(k)) and v, both channels-first. In place of the short
 * conv's dispatch and the gated norm's, it reads q, k and v once and never stores q or k. */
#include "modules/hyena_module.h"
#include "ops/norm.h"
#include "runtime/args.h"
#include "subq_shaders.h"

/* Two channels an invocation: on an H100 (C = 768, 8 positions a workgroup) 0.74 ms against 0.81
 * with three and 0.82 with one, all at one or two workgroups a multiprocessor (their registers). */
#define PER_INVOCATION 2
#define MAX_PER_INVOCATION 8
#define MAX_WORKGROUP 1024
#define MAX_TAPS 16
#define MAX_TIMES 8 /* positions per workgroup: 32-byte runs of each channel's output */
#define MIN_TIMES 4 /* fewer, and the channels-first stores lose their coalescing */

enum { HAS_BIAS = 1, HAS_GAMMA = 2, HAS_BETA = 4 };

typedef struct front_push {
    uint32_t q_first, k_first, v_first, w_first, bias_first, gamma_first, beta_first, z_first, v_out_first;
    uint32_t batch, channels, len;
    uint32_t x_stride[3];
    uint32_t z_stride[2];
    uint32_t v_out_stride[2];
    uint32_t pad, group_dim, flags, kind, activation;
    float eps;
} front_push;

typedef struct front_plan {
    uint32_t workgroup, per_invocation, times;
} front_plan;

/* One workgroup holds all channels of `times` positions, PER_INVOCATION channels an invocation
 * (whole subgroups of 32), then as many positions as shared memory allows. */
static bool make_plan(const subq_context *ctx, int64_t channels, front_plan *plan)
{
    if (!ctx->info.has_subgroup_arithmetic || ctx->info.subgroup_size < 4) return false;
    uint32_t max = MAX_WORKGROUP;
    if (ctx->info.max_workgroup_invocations < max) max = ctx->info.max_workgroup_invocations;
    if (ctx->info.max_workgroup_size[0] < max) max = ctx->info.max_workgroup_size[0];
    int64_t wanted = (channels + PER_INVOCATION - 1) / PER_INVOCATION;
    uint32_t wg = (uint32_t)((wanted + 31) / 32 * 32);
    wg = wg < max ? wg : max / 32 * 32;
    int64_t per = (channels + wg - 1) / wg;
    if (per > MAX_PER_INVOCATION) return false;
    for (uint32_t t = MAX_TIMES; t >= MIN_TIMES; t /= 2) {
        int64_t floats = per * wg * (t + 1) + 2 * t * (wg / 4);
        if (floats * (int64_t)sizeof(float) <= ctx->info.max_shared_memory_bytes) {
            *plan = (front_plan){wg, (uint32_t)per, t};
            return true;
        }
    }
    return false;
}

static bool same_strides(const subq_tensor *a, const subq_tensor *b)
{
    return a->strides[0] == b->strides[0] && a->strides[1] == b->strides[1] && a->strides[2] == b->strides[2];
}

bool subq_hyena_conv_gate_norm_fits(const subq_hyena *h, const subq_tensor *qc, const subq_tensor *kc,
                                    const subq_tensor *vc)
{
    front_plan plan;
    return qc->rank == 3 && h->cfg.short_conv.kind != SUBQ_SHORT_CONV_NONE &&
           h->cfg.short_conv.kernel_size[0] <= MAX_TAPS && h->pixelhyena_norm.kind != SUBQ_HYENA_NORM_NONE &&
           !h->q_norm.kind && !h->k_norm.kind && same_strides(qc, kc) && same_strides(qc, vc) &&
           make_plan(h->ctx, h->channels, &plan);
}

static front_push make_push(const subq_hyena *h, const subq_tensor *in[3], const subq_tensor *z,
                            const subq_tensor *v_out)
{
    const subq_short_conv_config *s = &h->cfg.short_conv;
    const hyena_norm *norm = &h->pixelhyena_norm;
    subq_norm_options o = subq_hyena_norm_options(norm->kind, SUBQ_CHANNELS_FIRST);
    int32_t taps = s->kernel_size[0];
    return (front_push){
        .q_first = subq_tensor_binding(in[0]).first_element,
        .k_first = subq_tensor_binding(in[1]).first_element,
        .v_first = subq_tensor_binding(in[2]).first_element,
        .w_first = subq_tensor_binding(h->short_weight).first_element,
        .bias_first = h->short_bias ? subq_tensor_binding(h->short_bias).first_element : 0,
        .gamma_first = norm->weight ? subq_tensor_binding(norm->weight).first_element : 0,
        .beta_first = norm->bias ? subq_tensor_binding(norm->bias).first_element : 0,
        .z_first = subq_tensor_binding(z).first_element,
        .v_out_first = subq_tensor_binding(v_out).first_element,
        .batch = (uint32_t)in[0]->shape[0], .channels = (uint32_t)h->channels, .len = (uint32_t)in[0]->shape[2],
        .x_stride = {(uint32_t)in[0]->strides[0], (uint32_t)in[0]->strides[1], (uint32_t)in[0]->strides[2]},
        .z_stride = {(uint32_t)z->strides[0], (uint32_t)z->strides[1]},
        .v_out_stride = {(uint32_t)v_out->strides[0], (uint32_t)v_out->strides[1]},
        .pad = (uint32_t)(s->causal ? taps - 1 : (taps - 1) / 2),
        .group_dim = (uint32_t)(3 * h->channels / h->short_groups),
        .flags = (h->short_bias ? HAS_BIAS : 0) | (norm->weight ? HAS_GAMMA : 0) | (norm->bias ? HAS_BETA : 0),
        .kind = (uint32_t)o.kind,
        .activation = (uint32_t)h->cfg.gate,
        .eps = subq_norm_eps(&o),
    };
}

subq_status subq_hyena_conv_gate_norm(subq_stream *stream, const subq_hyena *h, const subq_tensor *qc,
                                      const subq_tensor *kc, const subq_tensor *vc, subq_tensor *z,
                                      subq_tensor *v_out)
{
    front_plan plan;
    make_plan(h->ctx, h->channels, &plan);
    const subq_tensor *in[3] = {qc, kc, vc};
    front_push push = make_push(h, in, z, v_out);
    const hyena_norm *norm = &h->pixelhyena_norm;
    const subq_tensor *tensors[9] = {qc, kc, vc, h->short_weight, h->short_bias, norm->weight, norm->bias, z, v_out};
    subq_kernel kernel = {
        .shader = subq_shader_for_dtypes(&subq_shader_hyena_conv_gate_norm, &subq_shader_hyena_conv_gate_norm_16, 9,
                                         tensors),
        .bindings = 9, .push_bytes = sizeof push, .spec_count = 5,
        .spec = {plan.workgroup, (uint32_t)h->cfg.short_conv.kernel_size[0], plan.times, plan.per_invocation,
                 subq_tensor_dtype_codes(9, tensors)}};
    const subq_tensor *w = h->short_weight;
    subq_arg args[9] = {{qc, false}, {kc, false}, {vc, false}, {w, false}, {h->short_bias ? h->short_bias : w, false},
                        {norm->weight ? norm->weight : w, false}, {norm->bias ? norm->bias : w, false},
                        {z, true}, {v_out, true}};
    uint64_t tiles = (push.len + plan.times - 1) / plan.times;
    uint32_t groups[3];
    SUBQ_TRY(subq_groups_1d(subq_stream_context(stream), tiles * push.batch * plan.workgroup, plan.workgroup, groups));
    return subq_stream_dispatch(stream, &kernel, args, &push, groups);
}
