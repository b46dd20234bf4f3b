/* subq_lrnnx_fft_conv and subq_opt_ssm_forward (include/subq/s4.h): argument checks, then the
 * patterns of lrnnx_conv.c; opt_ssm_forward's strategies 1 and 2 add s4_mimo_kernel.comp and, for
 * strategy 2's projections, real GEMMs (subq_linear on a weight from s4_project.comp) in the time
 * domain, as the original computes them. The caller's tensors may be f16 or bf16: each shader (and
 * subq_linear) converts where it reads or writes one; every workspace tensor is f32. */
#include "ops/push.h"
#include "runtime/args.h"
#include "s4/lrnnx_conv.h"
#include "subq_shaders.h"

/* A real tensor of rank `real_rank` (1 part) or a complex one with a trailing axis of 2 (2 parts);
 * f32, f16 or bf16. */
static subq_status parts_of(const char *name, const subq_tensor *t, const subq_stream *s, int real_rank,
                            int64_t *parts)
{
    SUBQ_TRY(subq_arg_float_tensor(name, t, s, real_rank, real_rank + 1));
    if (t->rank == real_rank + 1 && t->shape[real_rank] != 2)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "%s: a complex tensor has a trailing axis of 2 (re, im); "
                                                      "got %lld", name, (long long)t->shape[real_rank]);
    *parts = t->rank == real_rank ? 1 : 2;
    for (int i = 0; i < real_rank; i++)
        if (t->shape[i] < 1)
            return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "%s: axis %d is empty", name, i);
    return subq_arg_dense(name, t);
}

static subq_status expect_dim(const char *name, const subq_tensor *t, int axis, int64_t value, const char *what)
{
    if (t->shape[axis] == value) return SUBQ_OK;
    return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "%s: axis %d is %lld; expected %lld (%s)", name, axis,
                     (long long)t->shape[axis], (long long)value, what);
}

static subq_status check_common(const subq_stream *s, const subq_lrnnx_workspace *ws)
{
    SUBQ_TRY(subq_arg_stream(s));
    if (!ws) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "workspace: expected a workspace, got NULL");
    if (s4_workspace_context(ws) != subq_stream_context(s))
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "workspace: belongs to another context than the stream");
    return SUBQ_OK;
}

static subq_status check_output(const subq_stream *s, const subq_tensor *y, int rank, const int64_t *shape,
                                const subq_tensor *const inputs[4])
{
    static const char *names[4] = {"x", "kernel", "b_proj", "c_proj"};
    SUBQ_TRY(subq_arg_float_tensor("y", y, s, rank, rank));
    SUBQ_TRY(subq_arg_shape("y", y, rank, shape));
    SUBQ_TRY(subq_arg_dense("y", y));
    SUBQ_TRY(subq_arg_output("y", y));
    for (int i = 0; i < 4; i++) SUBQ_TRY(subq_arg_disjoint("y", y, names[i], inputs[i]));
    return SUBQ_OK;
}

static subq_status check_length(int64_t length)
{
    if (2 * length > UINT32_MAX / 4)
        return subq_fail(SUBQ_ERROR_UNSUPPORTED, "x: a sequence of %lld is beyond subq's 32-bit indexing",
                         (long long)length);
    return SUBQ_OK;
}

/* B_ [N, H(, 2)] and C [O, N(, 2)] of the factored pattern and of opt_ssm_forward. */
static subq_status check_projections(subq_stream *s, const subq_tensor *b, const subq_tensor *c, int64_t n,
                                     int64_t h, s4_conv_call *call)
{
    SUBQ_TRY(parts_of("b_proj", b, s, 2, &call->b_parts));
    SUBQ_TRY(expect_dim("b_proj", b, 0, n, "N, the kernel's first axis"));
    SUBQ_TRY(expect_dim("b_proj", b, 1, h, "x's channels"));
    SUBQ_TRY(parts_of("c_proj", c, s, 2, &call->c_parts));
    SUBQ_TRY(expect_dim("c_proj", c, 1, n, "N, the kernel's first axis"));
    call->b_proj = b;
    call->c_proj = c;
    call->out_dim = c->shape[0];
    return SUBQ_OK;
}

static subq_status check_fft_conv(s4_conv_call *call, const subq_tensor *x, const subq_tensor *k,
                                  const subq_tensor *b, const subq_tensor *c, const subq_tensor *y)
{
    subq_stream *s = call->stream;
    int64_t xp, kp;
    SUBQ_TRY(parts_of("x", x, s, 3, &xp));
    SUBQ_TRY(check_length(x->shape[1]));
    int64_t batch = x->shape[0], length = x->shape[1], inner = x->shape[2];
    call->x = s4_signals_channels_last(x, batch, length, inner, xp);
    if (call->pattern == SUBQ_LRNNX_FULL) {
        SUBQ_TRY(parts_of("kernel", k, s, 3, &kp));
        SUBQ_TRY(expect_dim("kernel", k, 2, inner, "x's channels I of \"bli,loi->blo\""));
        call->out_dim = k->shape[1];
        call->kernel = (s4_signals){.tensor = k, .outer = k->shape[1], .inner = inner, .parts = kp,
                                    .length = k->shape[0], .stride_a = inner * kp, .stride_i = kp, .stride_part = 1,
                                    .stride_t = k->shape[1] * inner * kp};
    } else if (call->pattern == SUBQ_LRNNX_DIAGONAL) {
        SUBQ_TRY(parts_of("kernel", k, s, 2, &kp));
        SUBQ_TRY(expect_dim("kernel", k, 1, inner, "x's channels N of \"bln,ln->bln\""));
        call->out_dim = inner;
        call->kernel = (s4_signals){.tensor = k, .outer = 1, .inner = inner, .parts = kp, .length = k->shape[0],
                                    .stride_i = kp, .stride_part = 1, .stride_t = inner * kp};
    } else {
        SUBQ_TRY(parts_of("kernel", k, s, 2, &kp));
        SUBQ_TRY(check_projections(s, b, c, k->shape[0], inner, call));
        call->kernel = (s4_signals){.tensor = k, .outer = 1, .inner = k->shape[0], .parts = kp,
                                    .length = k->shape[1], .stride_i = k->shape[1] * kp, .stride_part = 1,
                                    .stride_t = kp};
    }
    if (call->pattern != SUBQ_LRNNX_FACTORED && (b || c))
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "%s: only the factored pattern takes projections; expected "
                                                      "NULL", b ? "b_proj" : "c_proj");
    const subq_tensor *inputs[4] = {x, k, b, c};
    int64_t shape[4] = {batch, length, call->out_dim, 2};
    SUBQ_TRY(check_output(s, y, 4, shape, inputs));
    call->y = s4_signals_channels_last(y, batch, length, call->out_dim, 2);
    call->complex_out = true;
    return SUBQ_OK;
}

subq_status subq_lrnnx_fft_conv(subq_stream *stream, subq_lrnnx_workspace *workspace, subq_lrnnx_pattern pattern,
                                const subq_tensor *x, const subq_tensor *kernel, const subq_tensor *b_proj,
                                const subq_tensor *c_proj, subq_tensor *y)
{
    SUBQ_TRY(check_common(stream, workspace));
    if (pattern != SUBQ_LRNNX_FULL && pattern != SUBQ_LRNNX_DIAGONAL && pattern != SUBQ_LRNNX_FACTORED)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "pattern: %d is not a subq_lrnnx_pattern", (int)pattern);
    s4_conv_call call = {.stream = stream, .ws = workspace, .pattern = pattern};
    SUBQ_TRY(check_fft_conv(&call, x, kernel, b_proj, c_proj, y));
    return s4_conv_run(&call);
}

/* ---- opt_ssm_forward ----------------------------------------------------------------------- */

subq_opt_ssm_strategy subq_opt_ssm_choose(int64_t batch, int64_t h_in, int64_t h_out, int64_t n)
{
    double lhs = 1.0 / (double)h_in + 1.0 / (double)h_out, rhs = 1.0 / (double)batch + 1.0 / (double)n;
    if (lhs > rhs) return h_in * h_out <= n ? SUBQ_OPT_SSM_FULL_KERNEL : SUBQ_OPT_SSM_FACTORED;
    return n <= h_in ? SUBQ_OPT_SSM_PROJECT : SUBQ_OPT_SSM_FACTORED;
}

typedef struct mimo_push {
    uint32_t length, out_dim, in_dim, n, k_parts, b_parts, c_parts;
    uint32_t k_first, b_first, c_first, out_first;
} mimo_push;

typedef struct project_push {
    uint32_t out_dim, in_dim, x_parts, w_parts, y_parts;
    uint32_t w_first, weight_first;
} project_push;

/* Strategy 1: the real MIMO kernel [Lk, O, I], then "bli,loi->blo". */
static subq_status full_kernel(s4_conv_call *c)
{
    const s4_signals *k = &c->kernel;
    int64_t length = k->length, o = c->out_dim, i = c->x.inner, shape[3] = {length, o, i};
    subq_tensor *mimo;
    SUBQ_TRY(s4_workspace_tensor(c->ws, S4_SLOT_TIME_A, 3, shape, &mimo));
    mimo_push p = {.length = (uint32_t)length, .out_dim = (uint32_t)o, .in_dim = (uint32_t)i,
                   .n = (uint32_t)k->inner, .k_parts = (uint32_t)k->parts, .b_parts = (uint32_t)c->b_parts,
                   .c_parts = (uint32_t)c->c_parts, .k_first = subq_push_first(k->tensor),
                   .b_first = subq_push_first(c->b_proj), .c_first = subq_push_first(c->c_proj),
                   .out_first = subq_push_first(mimo)};
    subq_arg args[4] = {{k->tensor, false}, {c->b_proj, false}, {c->c_proj, false}, {mimo, true}};
    SUBQ_TRY(s4_dispatch_typed(c->stream, &subq_shader_s4_mimo_kernel, &subq_shader_s4_mimo_kernel_16, 0, 4, args,
                               &p, sizeof p, (uint64_t)length * o * i));
    c->pattern = SUBQ_LRNNX_FULL;
    c->kernel = (s4_signals){.tensor = mimo, .outer = o, .inner = i, .parts = 1, .length = length,
                             .stride_a = i, .stride_i = 1, .stride_part = 1, .stride_t = o * i};
    return s4_conv_run(c);
}

/* y [rows, out_dim(, 2 if y_parts == 2)] = x [rows, in_dim(, x_parts)] w^T in complex arithmetic, as
 * one real GEMM: x and y seen as [rows, dim * parts], the weight expanded into the slot. */
static subq_status project(s4_conv_call *c, int slot, const subq_tensor *x, int64_t rows, int64_t in_dim,
                           int64_t x_parts, const subq_tensor *w, int64_t out_dim, int64_t w_parts, int64_t y_parts,
                           const subq_tensor *y)
{
    int64_t weight_shape[2] = {out_dim * y_parts, in_dim * x_parts};
    subq_tensor *weight, *x_rows = NULL, *y_rows = NULL;
    SUBQ_TRY(s4_workspace_tensor(c->ws, slot, 2, weight_shape, &weight));
    project_push p = {.out_dim = (uint32_t)out_dim, .in_dim = (uint32_t)in_dim, .x_parts = (uint32_t)x_parts,
                      .w_parts = (uint32_t)w_parts, .y_parts = (uint32_t)y_parts, .w_first = subq_push_first(w),
                      .weight_first = subq_push_first(weight)};
    subq_arg args[2] = {{w, false}, {weight, true}};
    SUBQ_TRY(s4_dispatch_typed(c->stream, &subq_shader_s4_project, &subq_shader_s4_project_16, 0, 2, args, &p,
                               sizeof p, (uint64_t)weight_shape[0] * weight_shape[1]));
    subq_status status = subq_tensor_view(x, 0, 2, (int64_t[]){rows, weight_shape[1]}, NULL, &x_rows);
    if (status == SUBQ_OK) status = subq_tensor_view(y, 0, 2, (int64_t[]){rows, weight_shape[0]}, NULL, &y_rows);
    if (status == SUBQ_OK) status = subq_linear(c->stream, x_rows, weight, NULL, y_rows);
    subq_tensor_destroy(x_rows);
    subq_tensor_destroy(y_rows);
    return status;
}

/* Strategy 2: x_proj = x B_^T (complex if B_ is), "bln,ln->bln" with K^T, y = Re x_conv C^T. */
static subq_status project_route(s4_conv_call *c, const s4_signals *y)
{
    int64_t batch = c->x.outer, length = c->x.length, n = c->kernel.inner, rows = batch * length;
    int64_t proj_parts = c->b_parts, conv_parts = c->b_parts == 2 || c->kernel.parts == 2 ? 2 : 1;
    int64_t proj_shape[4] = {batch, length, n, 2}, conv_shape[4] = {batch, length, n, 2};
    subq_tensor *proj, *conv;
    SUBQ_TRY(s4_workspace_tensor(c->ws, S4_SLOT_TIME_A, proj_parts == 2 ? 4 : 3, proj_shape, &proj));
    SUBQ_TRY(s4_workspace_tensor(c->ws, S4_SLOT_TIME_B, conv_parts == 2 ? 4 : 3, conv_shape, &conv));
    SUBQ_TRY(project(c, S4_SLOT_WEIGHT_IN, c->x.tensor, rows, c->x.inner, 1, c->b_proj, n, c->b_parts, proj_parts,
                     proj));
    c->pattern = SUBQ_LRNNX_DIAGONAL;
    c->x = s4_signals_channels_last(proj, batch, length, n, proj_parts);
    c->y = s4_signals_channels_last(conv, batch, length, n, conv_parts);
    c->complex_out = conv_parts == 2;
    SUBQ_TRY(s4_conv_run(c));
    return project(c, S4_SLOT_WEIGHT_OUT, conv, rows, n, conv_parts, c->c_proj, c->out_dim, c->c_parts, 1, y->tensor);
}

static subq_status check_opt_ssm(s4_conv_call *call, const subq_tensor *x, const subq_tensor *k,
                                 const subq_tensor *b, const subq_tensor *c, const subq_tensor *y)
{
    subq_stream *s = call->stream;
    int64_t xp, kp;
    SUBQ_TRY(parts_of("x", x, s, 3, &xp));
    if (xp != 1) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "x: expected a real [B, L, H_in] tensor");
    SUBQ_TRY(check_length(x->shape[1]));
    SUBQ_TRY(parts_of("K", k, s, 2, &kp));
    SUBQ_TRY(check_projections(s, b, c, k->shape[0], x->shape[2], call));
    call->x = s4_signals_channels_last(x, x->shape[0], x->shape[1], x->shape[2], 1);
    call->kernel = (s4_signals){.tensor = k, .outer = 1, .inner = k->shape[0], .parts = kp, .length = k->shape[1],
                                .stride_i = k->shape[1] * kp, .stride_part = 1, .stride_t = kp};
    const subq_tensor *inputs[4] = {x, k, b, c};
    int64_t shape[3] = {x->shape[0], x->shape[1], call->out_dim};
    SUBQ_TRY(check_output(s, y, 3, shape, inputs));
    call->y = s4_signals_channels_last(y, x->shape[0], x->shape[1], call->out_dim, 1);
    return SUBQ_OK;
}

subq_status subq_opt_ssm_forward(subq_stream *stream, subq_lrnnx_workspace *workspace, const subq_tensor *x,
                                 const subq_tensor *K, const subq_tensor *b_proj, const subq_tensor *c_proj,
                                 const subq_opt_ssm_options *options, subq_tensor *y)
{
    SUBQ_TRY(check_common(stream, workspace));
    subq_opt_ssm_strategy strategy = options ? options->strategy : SUBQ_OPT_SSM_AUTO;
    if (strategy < SUBQ_OPT_SSM_AUTO || strategy > SUBQ_OPT_SSM_FACTORED)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "options.strategy: %d is not a subq_opt_ssm_strategy",
                         (int)strategy);
    s4_conv_call call = {.stream = stream, .ws = workspace, .pattern = SUBQ_LRNNX_FACTORED};
    SUBQ_TRY(check_opt_ssm(&call, x, K, b_proj, c_proj, y));
    if (strategy == SUBQ_OPT_SSM_AUTO)
        strategy = subq_opt_ssm_choose(x->shape[0], x->shape[2], call.out_dim, K->shape[0]);
    if (strategy == SUBQ_OPT_SSM_FULL_KERNEL) return full_kernel(&call);
    if (strategy == SUBQ_OPT_SSM_PROJECT) {
        s4_signals out = call.y;
        return project_route(&call, &out);
    }
    return s4_conv_run(&call);
}
