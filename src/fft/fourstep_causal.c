/* The four-step causal FFT convolution (fourstep_causal.h). Shaders: fft_fourstep_forward.comp,
 * fft_fourstep_rows.comp, fft_fourstep_inverse.comp (fft_fourstep.glsl says what each does). */
#include "fft/fourstep_causal.h"

#include "runtime/context_scratch.h"
#include "ops/push.h"
#include "runtime/args.h"
#include "subq_shaders.h"

/* Plans as measured on an H100 (B = 4, C = 1024, L = 16K; B = 1, C = 64, L = 1M; and L = 64K,
 * 256K, 4M; two rounds agreeing within 0.5%): columns of 2^8 points or fewer and rows of 2^8 to
 * 2^12 (longer columns were slower, 2^9 by 20% at 1M and 2^11 by 65% at 4M; longer rows with
 * shorter columns by 9-17% at 16K-256K; rows of 2^7 by 7% at 16K); 8 points per invocation in
 * columns of up to 64 points (4% faster than 16) and in rows (23% faster at 256 points), 16 in
 * longer columns and where a pair of rows would take more than 512 invocations (rows of 4096:
 * 4% faster); about 256 invocations per workgroup. At L = 8K the four-step path ran 3% slower
 * than the fused kernel (2% faster gated): those rows stay the fused kernel's. */
#define MIN_LOG_LENGTH 14
#define MAX_LOG_LENGTH 24 /* the twiddles' j / M stay exact in float */
#define LOG_COLUMNS_BELOW 8
#define MIN_LOG_N2 8
#define MAX_LOG_N2 12
#define LOG_SMALL_COLUMNS 6
#define MAX_PAIR_THREADS 512
#define TARGET_THREADS 256
#define SCRATCH_CAP ((uint64_t)1 << 30)

enum { HAS_PRE = 1, HAS_POST = 2, HAS_SHORTCUT = 4 };

typedef struct fourstep_push {
    uint32_t scratch_first, spectrum_first, x_first, pre_first, post_first, shortcut_first, y_first;
    uint32_t x_stride[2], pre_stride[2], post_stride[2], y_stride[2], spectrum_stride[2];
    uint32_t shortcut_stride;
    uint32_t batch, rows;
} fourstep_push;
_Static_assert(sizeof(fourstep_push) <= 128, "push constants: Vulkan guarantees only 128 bytes");

static uint64_t column_threads(const subq_fourstep_plan *p)
{
    return (uint64_t)1 << (p->log_columns + p->log_n1 - p->log_column_points);
}

static uint64_t row_threads(const subq_fourstep_plan *p)
{
    return (uint64_t)1 << (p->log_row_pairs + 1 + p->log_n2 - p->log_row_points);
}

/* Mirror the shaders' shared arrays: none when a column fits one invocation, a padding float per
 * E points of a column, per 32 of a row. */
static uint64_t column_shared_bytes(const subq_fourstep_plan *p)
{
    if (p->log_column_points == p->log_n1) return 4;
    uint64_t n1 = (uint64_t)1 << p->log_n1;
    return ((uint64_t)1 << p->log_columns) * (n1 + (n1 >> p->log_column_points)) * 4;
}

static uint64_t row_shared_bytes(const subq_fourstep_plan *p)
{
    uint64_t n2 = (uint64_t)1 << p->log_n2;
    return ((uint64_t)2 << p->log_row_pairs) * (n2 + (n2 >> 5)) * 4;
}

static bool workgroup_fits(const subq_context *ctx, uint64_t threads, uint64_t shared_bytes)
{
    return threads <= ctx->info.max_workgroup_invocations && threads <= ctx->info.max_workgroup_size[0] &&
           shared_bytes <= ctx->info.max_shared_memory_bytes;
}

bool subq_fft_conv_fourstep_plan_fits(const subq_context *ctx, const subq_fourstep_plan *p)
{
    if (!ctx || !p || p->log_n1 < 1 || p->log_n2 < 1 || p->log_n1 + p->log_n2 > MAX_LOG_LENGTH) return false;
    if (p->log_column_points < 1 || p->log_column_points > 5 || p->log_column_points > p->log_n1 ||
        p->log_row_points < 1 || p->log_row_points > 5 || p->log_row_points > p->log_n2)
        return false;
    if (p->log_columns > p->log_n2 || p->log_columns > 10 || p->log_row_pairs + 1 > p->log_n1) return false;
    return workgroup_fits(ctx, column_threads(p), column_shared_bytes(p)) &&
           workgroup_fits(ctx, row_threads(p), row_shared_bytes(p));
}

static uint32_t log2_floor(uint64_t v)
{
    uint32_t l = 0;
    while (v > 1) v >>= 1, l++;
    return l;
}

/* The measured plan (above); rows shorter where shared memory runs out. */
static bool find_plan(const subq_context *ctx, int64_t length, subq_fourstep_plan *plan)
{
    if (!ctx || length < 1 || (length & (length - 1)) != 0) return false;
    uint32_t log_m = log2_floor((uint64_t)length);
    if (log_m < MIN_LOG_LENGTH || log_m > MAX_LOG_LENGTH) return false;
    uint32_t log_n2 = log_m - LOG_COLUMNS_BELOW;
    log_n2 = log_n2 < MIN_LOG_N2 ? MIN_LOG_N2 : log_n2 > MAX_LOG_N2 ? MAX_LOG_N2 : log_n2;
    for (; log_n2 >= 1; log_n2--) {
        subq_fourstep_plan p = {.log_n1 = log_m - log_n2, .log_n2 = log_n2};
        p.log_column_points = p.log_n1 <= LOG_SMALL_COLUMNS ? 3 : 4;
        p.log_row_points = (2u << log_n2) / 8 > MAX_PAIR_THREADS ? 4 : 3;
        if (p.log_column_points > p.log_n1) p.log_column_points = p.log_n1;
        if (p.log_row_points > log_n2) p.log_row_points = log_n2;
        uint32_t per_column = p.log_n1 - p.log_column_points, per_pair = log_n2 + 1 - p.log_row_points;
        uint32_t log_target = log2_floor(TARGET_THREADS);
        p.log_columns = per_column < log_target ? log_target - per_column : 0;
        if (p.log_columns > log_n2) p.log_columns = log_n2;
        p.log_row_pairs = per_pair < log_target ? log_target - per_pair : 0;
        if (p.log_row_pairs + 1 > p.log_n1) p.log_row_pairs = p.log_n1 - 1;
        while (p.log_columns > 0 && !workgroup_fits(ctx, column_threads(&p), column_shared_bytes(&p)))
            p.log_columns--;
        while (p.log_row_pairs > 0 && !workgroup_fits(ctx, row_threads(&p), row_shared_bytes(&p))) p.log_row_pairs--;
        if (subq_fft_conv_fourstep_plan_fits(ctx, &p)) {
            *plan = p;
            return true;
        }
    }
    return false;
}

bool subq_fft_conv_fourstep_supports(const subq_context *ctx, int64_t length)
{
    subq_fourstep_plan plan;
    return find_plan(ctx, length, &plan);
}

subq_status subq_fft_conv_fourstep_default_plan(const subq_context *ctx, int64_t length, subq_fourstep_plan *plan)
{
    if (find_plan(ctx, length, plan)) return SUBQ_OK;
    return subq_fail(SUBQ_ERROR_UNSUPPORTED, "x: the four-step FFT conv takes rows of a power-of-two length "
                                             "from 2^%d to 2^%d that fit the device; got %lld",
                     MIN_LOG_LENGTH, MAX_LOG_LENGTH, (long long)length);
}

/* A launch: batch elements [b0, b0 + nb) times channels [c0, c0 + nc). */
typedef struct launch {
    int64_t b0, nb, c0, nc;
} launch;

/* The launch's rows of a [B or 1, C, ...] tensor, any trailing axes kept. */
static subq_tensor rows_view(const subq_tensor *t, const launch *l)
{
    subq_tensor v = *t;
    bool shared = t->shape[0] == 1;
    v.offset += (shared ? 0 : l->b0 * t->strides[0]) + l->c0 * t->strides[1];
    v.shape[0] = shared ? 1 : l->nb;
    v.shape[1] = l->nc;
    return v;
}

/* Bytes a binding of the launch's rows of t covers, alignment slack included (0 if absent). */
static uint64_t binding_bytes(const subq_context *ctx, const subq_tensor *t, const launch *l)
{
    if (!t) return 0;
    subq_tensor v = rows_view(t, l);
    return (uint64_t)subq_tensor_span(&v) * subq_dtype_size(t->dtype) + ctx->info.min_storage_buffer_offset_alignment;
}

static uint64_t scratch_limit(const subq_context *ctx)
{
    return ctx->info.max_storage_buffer_range < SCRATCH_CAP ? ctx->info.max_storage_buffer_range : SCRATCH_CAP;
}

static bool launch_fits(const subq_fft_conv_call *c, const subq_tensor *spectrum, int64_t nb, int64_t nc)
{
    const subq_context *ctx = subq_stream_context(c->stream);
    launch l = {0, nb, 0, nc};
    uint64_t scratch = (uint64_t)nb * (uint64_t)nc * (uint64_t)c->x->shape[2] * 8;
    const subq_tensor *bound[] = {c->x, c->pre, c->post, c->y, spectrum};
    bool fits = scratch <= scratch_limit(ctx);
    for (int i = 0; i < 5; i++) fits = fits && binding_bytes(ctx, bound[i], &l) <= ctx->info.max_storage_buffer_range;
    return fits;
}

/* Every row at once if the scratch and the bindings allow, else all batch elements of some
 * channels, else one batch element's: as many channels as fit, in even shares. */
static subq_status launch_shape(const subq_fft_conv_call *c, const subq_tensor *spectrum, launch *shape)
{
    int64_t nb = launch_fits(c, spectrum, c->batch, 1) ? c->batch : 1;
    if (!launch_fits(c, spectrum, nb, 1))
        return subq_fail(SUBQ_ERROR_UNSUPPORTED, "x: one row of %lld points needs more scratch or a larger "
                                                 "binding than device '%s' allows",
                         (long long)c->x->shape[2], subq_stream_context(c->stream)->info.name);
    int64_t lo = 1, hi = c->channels;
    while (lo < hi) {
        int64_t mid = (lo + hi + 1) / 2;
        if (launch_fits(c, spectrum, nb, mid)) lo = mid;
        else hi = mid - 1;
    }
    int64_t launches = (c->channels + lo - 1) / lo;
    *shape = (launch){0, nb, 0, (c->channels + launches - 1) / launches};
    return SUBQ_OK;
}

/* The launch's views of the call's tensors, in binding order of fft_fourstep_inverse.comp. */
typedef struct launch_views {
    subq_tensor scratch, spectrum, x, pre, post, shortcut, y;
} launch_views;

static fourstep_push make_push(const subq_fft_conv_call *c, const launch_views *v, const launch *l)
{
    fourstep_push p = {.scratch_first = subq_push_first(&v->scratch), .spectrum_first = subq_push_first(&v->spectrum),
                       .x_first = subq_push_first(&v->x), .pre_first = c->pre ? subq_push_first(&v->pre) : 0,
                       .post_first = c->post ? subq_push_first(&v->post) : 0,
                       .shortcut_first = c->shortcut ? subq_push_first(&v->shortcut) : 0,
                       .y_first = subq_push_first(&v->y),
                       .shortcut_stride = c->shortcut ? (uint32_t)c->shortcut->strides[0] : 0,
                       .batch = (uint32_t)l->nb, .rows = (uint32_t)(l->nb * l->nc)};
    subq_push_batch_channel_strides(p.x_stride, &v->x);
    subq_push_batch_channel_strides(p.pre_stride, c->pre ? &v->pre : NULL);
    subq_push_batch_channel_strides(p.post_stride, c->post ? &v->post : NULL);
    subq_push_batch_channel_strides(p.y_stride, &v->y);
    subq_push_batch_channel_strides(p.spectrum_stride, &v->spectrum);
    return p;
}

static subq_status dispatch(const subq_fft_conv_call *c, const subq_kernel *kernel, const subq_arg *args,
                            const fourstep_push *push, uint64_t workgroups)
{
    uint32_t groups[3], threads = kernel->spec[0];
    SUBQ_TRY(subq_groups_1d(subq_stream_context(c->stream), workgroups * threads, threads, groups));
    return subq_stream_dispatch(c->stream, kernel, args, push, groups);
}

static subq_status record_launch(const subq_fft_conv_call *c, const subq_fourstep_plan *plan,
                                 const launch_views *v, const launch *l)
{
    fourstep_push push = make_push(c, v, l);
    uint32_t flags = (c->pre ? HAS_PRE : 0) | (c->post ? HAS_POST : 0) | (c->shortcut ? HAS_SHORTCUT : 0);
    const subq_tensor *x = &v->x, *pre = c->pre ? &v->pre : x, *post = c->post ? &v->post : x;
    const subq_tensor *shortcut = c->shortcut ? &v->shortcut : x;
    const subq_tensor *floats[6] = {NULL, x, c->pre ? pre : NULL, c->post ? post : NULL,
                                    c->shortcut ? shortcut : NULL, &v->y};
    uint32_t dtypes = subq_tensor_dtype_codes(6, floats);
    uint32_t columns = (uint32_t)column_threads(plan), rows = (uint32_t)row_threads(plan);
    subq_kernel forward = {.shader = subq_shader_for_dtypes(&subq_shader_fft_fourstep_forward,
                                                            &subq_shader_fft_fourstep_forward_16, 3, floats),
                           .bindings = 3, .push_bytes = sizeof push, .spec_count = 7,
                           .spec = {columns, plan->log_n1, plan->log_n2, plan->log_column_points,
                                    1u << plan->log_columns, flags, dtypes}};
    subq_kernel middle = {.shader = &subq_shader_fft_fourstep_rows, .bindings = 2, .push_bytes = sizeof push,
                          .spec_count = 7,
                          .spec = {rows, plan->log_n1, plan->log_n2, plan->log_row_points, 1u << plan->log_row_pairs,
                                   0, 0}};
    subq_kernel inverse = forward;
    inverse.shader = subq_shader_for_dtypes(&subq_shader_fft_fourstep_inverse, &subq_shader_fft_fourstep_inverse_16,
                                            6, floats);
    inverse.bindings = 6;
    subq_arg forward_args[3] = {{&v->scratch, true}, {x, false}, {pre, false}};
    subq_arg middle_args[2] = {{&v->scratch, true}, {&v->spectrum, false}};
    subq_arg inverse_args[6] = {{&v->scratch, false}, {x, false}, {pre, false}, {post, false}, {shortcut, false},
                                {&v->y, true}};
    uint64_t count = (uint64_t)push.rows;
    SUBQ_TRY(dispatch(c, &forward, forward_args, &push, count << (plan->log_n2 - plan->log_columns)));
    SUBQ_TRY(dispatch(c, &middle, middle_args, &push, count << (plan->log_n1 - 1 - plan->log_row_pairs)));
    return dispatch(c, &inverse, inverse_args, &push, count << (plan->log_n2 - plan->log_columns));
}

static subq_status record(const subq_fft_conv_call *c, const subq_fourstep_plan *plan, const subq_tensor *spectrum)
{
    launch shape = {0};
    SUBQ_TRY(launch_shape(c, spectrum, &shape));
    launch_views v;
    int64_t length = c->x->shape[2];
    SUBQ_TRY(subq_context_scratch_get(subq_stream_context(c->stream), shape.nb * shape.nc * length * 2, &v.scratch));
    for (int64_t b0 = 0; b0 < c->batch; b0 += shape.nb)
        for (int64_t c0 = 0; c0 < c->channels; c0 += shape.nc) {
            launch l = {b0, shape.nb, c0, c->channels - c0 < shape.nc ? c->channels - c0 : shape.nc};
            v.spectrum = rows_view(spectrum, &l);
            v.x = rows_view(c->x, &l);
            v.y = rows_view(c->y, &l);
            if (c->pre) v.pre = rows_view(c->pre, &l);
            if (c->post) v.post = rows_view(c->post, &l);
            if (c->shortcut) {
                v.shortcut = *c->shortcut;
                v.shortcut.offset += c0 * c->shortcut->strides[0];
                v.shortcut.shape[0] = l.nc;
            }
            SUBQ_TRY(record_launch(c, plan, &v, &l));
        }
    return SUBQ_OK;
}

/* [rows, L + 1, 2] views; bin k1 + N1 k2 to k1 N2 + k2, bin M stays: two strided copies. */
subq_status subq_fft_conv_fourstep_order_spectrum(subq_stream *stream, const subq_tensor *bins, subq_tensor *ordered)
{
    subq_fourstep_plan plan;
    int64_t rows = bins->shape[0], points = bins->shape[1];
    SUBQ_TRY(subq_fft_conv_fourstep_default_plan(subq_stream_context(stream), points - 1, &plan));
    int64_t n1 = (int64_t)1 << plan.log_n1, n2 = (int64_t)1 << plan.log_n2, m = n1 * n2;
    int64_t shape[4] = {rows, n1, n2, 2}, from_strides[4] = {bins->strides[0], 2, 2 * n1, 1};
    int64_t to_strides[4] = {ordered->strides[0], 2 * n2, 2, 1};
    int64_t last_shape[2] = {rows, 2}, from_last[2] = {bins->strides[0], 1}, to_last[2] = {ordered->strides[0], 1};
    subq_tensor *views[4] = {NULL};
    subq_status status = subq_tensor_view(bins, 0, 4, shape, from_strides, &views[0]);
    if (status == SUBQ_OK) status = subq_tensor_view(ordered, 0, 4, shape, to_strides, &views[1]);
    if (status == SUBQ_OK) status = subq_tensor_view(bins, 2 * m, 2, last_shape, from_last, &views[2]);
    if (status == SUBQ_OK)
        status = subq_tensor_view(ordered, 2 * m, 2, last_shape, to_last, &views[3]);
    if (status == SUBQ_OK) status = subq_tensor_copy(stream, views[0], views[1]);
    if (status == SUBQ_OK) status = subq_tensor_copy(stream, views[2], views[3]);
    for (int i = 0; i < 4; i++) subq_tensor_destroy(views[i]);
    return status;
}

static subq_status check_spectrum(const subq_fft_conv_call *c, const subq_tensor *spectrum)
{
    SUBQ_TRY(subq_arg_tensor("spectrum", spectrum, c->stream, SUBQ_F32, 4, 4));
    const int64_t *shape = spectrum->shape;
    if ((shape[0] != 1 && shape[0] != c->batch) || shape[1] != c->channels || shape[2] != c->x->shape[2] + 1 ||
        shape[3] != 2 || spectrum->strides[2] != 2 || spectrum->strides[3] != 1 ||
        (subq_tensor_binding(spectrum).first_element & 1) != 0 || (spectrum->strides[1] & 1) != 0 ||
        (shape[0] != 1 && (spectrum->strides[0] & 1) != 0))
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "spectrum: expected [%s%lld, %lld, %lld, 2] with its bins "
                                                      "dense and complex values 8-byte aligned",
                         c->batch == 1 ? "" : "1 or ", (long long)c->batch, (long long)c->channels,
                         (long long)c->x->shape[2] + 1);
    return SUBQ_OK;
}

subq_status subq_fft_conv_fourstep_planned(const subq_fft_conv_call *call, const subq_fourstep_plan *plan,
                                           const subq_tensor *spectrum)
{
    subq_context *ctx = subq_stream_context(call->stream);
    if (!subq_fft_conv_fourstep_plan_fits(ctx, plan))
        return subq_fail(SUBQ_ERROR_UNSUPPORTED, "plan: malformed, or beyond the device's workgroup or shared-memory "
                                                 "limits");
    if (call->x->shape[2] != (int64_t)1 << (plan->log_n1 + plan->log_n2))
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "plan: made for rows of length 2^%u; x has %lld",
                         plan->log_n1 + plan->log_n2, (long long)call->x->shape[2]);
    SUBQ_TRY(check_spectrum(call, spectrum));
    return record(call, plan, spectrum);
}

subq_status subq_fft_conv_fourstep(const subq_fft_conv_call *call)
{
    subq_fourstep_plan plan;
    SUBQ_TRY(subq_fft_conv_fourstep_default_plan(subq_stream_context(call->stream), call->x->shape[2], &plan));
    return record(call, &plan, subq_fft_kernel_spectrum(call->kernel));
}
