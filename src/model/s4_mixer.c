/* The S4 mixer of a model block (s4_mixer.h): FFTConvS4 through its public API, the D skip and
 * GELU in one pass (model_s4_skip.comp), then output_linear and the GLU. */
#include "model/s4_mixer.h"

#include <math.h>
#include <string.h>

#include "modules/parameters.h"
#include "runtime/error.h"
#include "subq_shaders.h"

#define WORKGROUP 256

subq_status model_s4_create(subq_context *ctx, const subq_fftconv_s4_config *config, model_s4 *s4) {
    memset(s4, 0, sizeof *s4);
    int64_t c = config->d_model, c2 = 2 * c;
    SUBQ_TRY(subq_parameters_create(ctx, &s4->parameters));
    SUBQ_TRY(subq_parameters_add(s4->parameters, "D", 2, (int64_t[]){1, c}, &s4->d));
    SUBQ_TRY(subq_fftconv_s4_create(ctx, config, &s4->layer));
    SUBQ_TRY(subq_parameters_attach(s4->parameters, "layer", subq_fftconv_s4_parameters(s4->layer)));
    SUBQ_TRY(subq_parameters_add(s4->parameters, "output_linear.weight", 2, (int64_t[]){c2, c}, &s4->out_weight));
    return subq_parameters_add(s4->parameters, "output_linear.bias", 1, &c2, &s4->out_bias);
}

void model_s4_destroy(model_s4 *s4) {
    subq_parameters_destroy(s4->parameters);
    subq_fftconv_s4_destroy(s4->layer);
    memset(s4, 0, sizeof *s4);
}

subq_status model_s4_init(model_s4 *s4, uint64_t seed) {
    subq_random random = subq_random_seeded(seed);
    double bound = 1.0 / sqrt((double)subq_fftconv_s4_d_output(s4->layer));
    SUBQ_TRY(subq_parameters_init_normal(s4->parameters, "D", &random, 0.0, 1.0));
    SUBQ_TRY(subq_parameters_init_uniform(s4->parameters, "output_linear.weight", &random, -bound, bound));
    SUBQ_TRY(subq_parameters_init_uniform(s4->parameters, "output_linear.bias", &random, -bound, bound));
    return subq_fftconv_s4_init(s4->layer, seed + 1);
}

subq_status model_s4_scratch_create(subq_context *ctx, int64_t batch, int64_t length, int64_t channels,
                                    model_s4_scratch *scratch) {
    memset(scratch, 0, sizeof *scratch);
    subq_status status = subq_tensor_create(ctx, SUBQ_F32, 4, (int64_t[]){batch, 1, channels, length}, &scratch->conv);
    if (status == SUBQ_OK)
        status = subq_tensor_create(ctx, SUBQ_F32, 3, (int64_t[]){batch, length, 2 * channels}, &scratch->glu);
    if (status != SUBQ_OK) model_s4_scratch_free(scratch);
    return status;
}

void model_s4_scratch_free(model_s4_scratch *scratch) {
    subq_tensor_destroy(scratch->conv);
    subq_tensor_destroy(scratch->glu);
    memset(scratch, 0, sizeof *scratch);
}

/* out [B, L, C] = gelu(conv [B, C, L] + D * x [B, L, C]); every tensor dense. */
static subq_status skip(subq_stream *stream, const model_s4 *s4, const subq_tensor *conv, const subq_tensor *x,
                        subq_tensor *out) {
    struct {
        uint32_t conv_first, x_first, d_first, out_first, batch, length, channels;
    } push = {subq_tensor_binding(conv).first_element, subq_tensor_binding(x).first_element,
              subq_tensor_binding(s4->d).first_element, subq_tensor_binding(out).first_element,
              (uint32_t)subq_tensor_dim(out, 0), (uint32_t)subq_tensor_dim(out, 1), (uint32_t)subq_tensor_dim(out, 2)};
    subq_kernel kernel = {.shader = &subq_shader_model_s4_skip, .bindings = 4, .push_bytes = sizeof push,
                          .spec_count = 1, .spec = {WORKGROUP}};
    subq_arg args[4] = {{conv, false}, {x, false}, {s4->d, false}, {out, true}};
    uint32_t groups[3];
    SUBQ_TRY(subq_groups_1d(subq_stream_context(stream), subq_tensor_numel(out), WORKGROUP, groups));
    return subq_stream_dispatch(stream, &kernel, args, &push, groups);
}

/* The block after FFTConvS4: skip and GELU into out [B, L, C], output_linear into glu, GLU into out. */
static subq_status tail(subq_stream *stream, const model_s4 *s4, const model_s4_scratch *scratch,
                        const subq_tensor *x, subq_tensor *out) {
    int64_t b = subq_tensor_dim(out, 0), l = subq_tensor_dim(out, 1), c = subq_tensor_dim(out, 2);
    subq_tensor *conv = NULL, *value = NULL, *gate = NULL;
    int64_t shape[3] = {b, l, c}, strides[3] = {2 * c * l, 2 * c, 1};
    subq_status status = subq_tensor_view(scratch->conv, 0, 3, (int64_t[]){b, c, l}, NULL, &conv);
    if (status == SUBQ_OK) status = skip(stream, s4, conv, x, out);
    if (status == SUBQ_OK) status = subq_linear(stream, out, s4->out_weight, s4->out_bias, scratch->glu);
    if (status == SUBQ_OK) status = subq_tensor_view(scratch->glu, 0, 3, shape, strides, &value);
    if (status == SUBQ_OK) status = subq_tensor_view(scratch->glu, c, 3, shape, strides, &gate);
    if (status == SUBQ_OK) status = subq_gate(stream, value, gate, SUBQ_ACTIVATION_SIGMOID, out);
    subq_tensor_destroy(conv);
    subq_tensor_destroy(value);
    subq_tensor_destroy(gate);
    return status;
}

/* t [B, *S, C] (dense) as [B, prod S, C]. */
static subq_status sequence(const subq_tensor *t, subq_tensor **view) {
    int rank = subq_tensor_rank(t);
    int64_t length = 1;
    for (int a = 1; a < rank - 1; a++) length *= subq_tensor_dim(t, a);
    return subq_tensor_view(t, 0, 3, (int64_t[]){subq_tensor_dim(t, 0), length, subq_tensor_dim(t, rank - 1)}, NULL,
                            view);
}

subq_status model_s4_forward(subq_stream *stream, model_s4 *s4, const subq_tensor *x, const subq_tensor *state,
                             subq_tensor *next_state, const model_s4_scratch *scratch, subq_tensor *out) {
    subq_tensor *xs = NULL, *os = NULL;
    subq_status status = sequence(x, &xs);
    if (status == SUBQ_OK) status = sequence(out, &os);
    if (status == SUBQ_OK) status = subq_fftconv_s4_forward(stream, s4->layer, xs, state, 1.0, scratch->conv, next_state);
    if (status == SUBQ_OK) status = tail(stream, s4, scratch, xs, os);
    subq_tensor_destroy(xs);
    subq_tensor_destroy(os);
    return status;
}

subq_status model_s4_step(subq_stream *stream, model_s4 *s4, const subq_tensor *x, subq_tensor *state,
                          const model_s4_scratch *scratch, subq_tensor *out) {
    int64_t b = subq_tensor_dim(x, 0), c = subq_tensor_dim(x, 2);
    subq_tensor *row = NULL, *y = NULL;
    subq_status status = subq_tensor_view(x, 0, 2, (int64_t[]){b, c}, NULL, &row);
    if (status == SUBQ_OK) status = subq_tensor_view(scratch->conv, 0, 3, (int64_t[]){b, 1, c}, NULL, &y);
    if (status == SUBQ_OK) status = subq_fftconv_s4_step(stream, s4->layer, row, state, y, state);
    if (status == SUBQ_OK) status = tail(stream, s4, scratch, x, out);
    subq_tensor_destroy(row);
    subq_tensor_destroy(y);
    return status;
}
