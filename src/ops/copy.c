/* Tensor copy between any strides; dense or row-contiguous aligned copies move 16 bytes per
 * invocation. Float tensors of different dtypes (f32, f16, bf16) convert on the way.
 * Shader: shaders/copy.comp. */
#include "runtime/args.h"
#include "subq_shaders.h"

#define WORKGROUP 256

typedef struct copy_push {
    uint32_t x_first, y_first;
    uint32_t size[5];
    uint32_t x_stride[5];
    uint32_t y_stride[5];
} copy_push;

static subq_status check_args(const subq_stream *s, const subq_tensor *x, const subq_tensor *y)
{
    SUBQ_TRY(subq_arg_stream(s));
    if (!x) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "source: expected a tensor, got NULL");
    if (x->dtype == SUBQ_I32 || (y && y->dtype == SUBQ_I32)) {
        SUBQ_TRY(subq_arg_tensor("source", x, s, SUBQ_I32, 1, SUBQ_MAX_RANK));
        SUBQ_TRY(subq_arg_tensor("destination", y, s, SUBQ_I32, x->rank, x->rank));
    } else {
        SUBQ_TRY(subq_arg_float_tensor("source", x, s, 1, SUBQ_MAX_RANK));
        SUBQ_TRY(subq_arg_float_tensor("destination", y, s, x->rank, x->rank));
    }
    SUBQ_TRY(subq_arg_shape("destination", y, x->rank, x->shape));
    SUBQ_TRY(subq_arg_output("destination", y));
    return subq_arg_disjoint("destination", y, "source", x);
}

enum { SCALAR = 0, DENSE_VEC4 = 1, ROWS_VEC4 = 2 };

/* Rows contiguous in both tensors, of a multiple of four elements, every row 16-byte aligned:
 * whole vec4s per invocation (the unpack of context parallelism's zigzag chunks). */
static uint32_t rows_vec4(const copy_push *p)
{
    bool ok = p->x_stride[4] == 1 && p->y_stride[4] == 1 && p->size[4] % 4 == 0 && p->x_first % 4 == 0 &&
              p->y_first % 4 == 0;
    for (int a = 0; a < 4; a++) ok = ok && (p->size[a] == 1 || (p->x_stride[a] % 4 == 0 && p->y_stride[a] % 4 == 0));
    return ok ? ROWS_VEC4 : SCALAR;
}

subq_status subq_tensor_copy(subq_stream *stream, const subq_tensor *source, subq_tensor *destination)
{
    SUBQ_TRY(check_args(stream, source, destination));
    copy_push p = {.x_first = subq_tensor_binding(source).first_element,
                   .y_first = subq_tensor_binding(destination).first_element};
    int pad = 5 - source->rank;
    for (int a = 0; a < 5; a++) {
        bool real = a >= pad;
        p.size[a] = real ? (uint32_t)source->shape[a - pad] : 1;
        p.x_stride[a] = real ? (uint32_t)source->strides[a - pad] : 0;
        p.y_stride[a] = real ? (uint32_t)destination->strides[a - pad] : 0;
    }
    uint64_t n = (uint64_t)subq_tensor_numel(source);
    const subq_tensor *tensors[2] = {source, destination};
    const subq_shader *shader = subq_shader_for_dtypes(&subq_shader_copy, &subq_shader_copy_16, 2, tensors);
    bool convert = shader != &subq_shader_copy; /* a 16-bit side: 32-bit words would move pairs */
    uint32_t mode = convert ? SCALAR
                    : subq_tensor_is_dense(source) && subq_tensor_is_dense(destination) && n % 4 == 0 &&
                              p.x_first % 4 == 0 && p.y_first % 4 == 0
                        ? DENSE_VEC4
                        : rows_vec4(&p);
    if (mode == ROWS_VEC4) {
        for (int a = 0; a < 4; a++) p.x_stride[a] /= 4, p.y_stride[a] /= 4;
        p.size[4] /= 4;
        p.x_first /= 4;
        p.y_first /= 4;
    }
    subq_kernel kernel = {.shader = shader, .bindings = 2, .push_bytes = sizeof p, .spec_count = 4,
                          .spec = {WORKGROUP, mode, convert, subq_tensor_dtype_codes(2, tensors)}};
    subq_arg args[2] = {{source, false}, {destination, true}};
    uint32_t groups[3];
    SUBQ_TRY(subq_groups_1d(subq_stream_context(stream), mode ? n / 4 : n, WORKGROUP, groups));
    return subq_stream_dispatch(stream, &kernel, args, &p, groups);
}
