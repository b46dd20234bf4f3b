/* CKConvND as a module (SPEC.md section 4): configuration, parameters named as the reference's
 * state_dict, init, FLOP count and description. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modules/ckconv_module.h"

#define MAX_GENERATOR_LAYERS 64

static subq_status check_axes(const subq_ckconv_config *c)
{
    for (int a = 0; a < c->data_dim; a++) {
        if (c->cache_size[a] < 2 || c->cache_size[a] > INT32_MAX)
            return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "config.cache_size[%d]: expected 2 .. 2^31 - 1, got %lld", a,
                             (long long)c->cache_size[a]);
        if (c->grid_type[a] != SUBQ_CKCONV_GRID_DOUBLE && c->grid_type[a] != SUBQ_CKCONV_GRID_SINGLE)
            return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "config.grid_type[%d]: %d is not a subq_ckconv_grid_type", a,
                             (int)c->grid_type[a]);
        if (c->padding[a] != SUBQ_FFT_PADDING_ZERO && c->padding[a] != SUBQ_FFT_PADDING_CIRCULAR)
            return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "config.padding[%d]: %d is not a subq_fft_padding", a,
                             (int)c->padding[a]);
    }
    if (c->causal && (c->data_dim != 1 || c->grid_type[0] != SUBQ_CKCONV_GRID_DOUBLE))
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "config.causal: only a 1D CKConvND on the double grid is causal");
    return SUBQ_OK;
}

static subq_status check_generator(const subq_ckconv_config *c)
{
    if (c->generator != SUBQ_GENERATOR_SIREN && c->generator != SUBQ_GENERATOR_RFF)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "config.generator: %d is not a subq_kernel_generator",
                         (int)c->generator);
    if (c->generator_hidden < 1 || c->generator_hidden > 65536)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "config.generator_hidden: expected 1 .. 65536, got %d",
                         (int)c->generator_hidden);
    if (c->generator == SUBQ_GENERATOR_RFF && c->generator_hidden % 2)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "config.generator_hidden: random Fourier features need an even "
                                                      "width, got %d", (int)c->generator_hidden);
    if (c->generator_layers < 1 || c->generator_layers > MAX_GENERATOR_LAYERS)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "config.generator_layers: expected 1 .. %d, got %d",
                         MAX_GENERATOR_LAYERS, (int)c->generator_layers);
    if (!(c->omega0 > 0.0f) || !isfinite(c->omega0))
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "config.omega0: expected a finite value > 0, got %g",
                         (double)c->omega0);
    if (c->generator == SUBQ_GENERATOR_RFF && ((unsigned)c->rff_activation > SUBQ_ACTIVATION_SOFTPLUS))
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "config.rff_activation: %d is not a subq_activation",
                         (int)c->rff_activation);
    if (c->film_cond_dim < 0 || c->film_hidden < 1)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "config.film_cond_dim, config.film_hidden: expected >= 0 and "
                                                      ">= 1, got %lld and %d", (long long)c->film_cond_dim,
                         (int)c->film_hidden);
    if ((unsigned)c->mask > SUBQ_KERNEL_MASK_EXPONENTIAL)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "config.mask: %d is not a subq_kernel_mask", (int)c->mask);
    return SUBQ_OK;
}

static subq_status check_config(const subq_ckconv_config *c)
{
    if (c->data_dim < 1 || c->data_dim > SUBQ_CKCONV_MAX_AXES)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "config.data_dim: expected 1, 2 or 3, got %d", (int)c->data_dim);
    if (c->hidden_dim < 1 || c->hidden_dim > INT32_MAX)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "config.hidden_dim: expected 1 .. 2^31 - 1, got %lld",
                         (long long)c->hidden_dim);
    SUBQ_TRY(check_axes(c));
    SUBQ_TRY(check_generator(c));
    int32_t p = c->cp_size < 1 ? 1 : c->cp_size;
    if (c->cp_size < 0 || c->cp_rank < 0 || c->cp_rank >= p || c->hidden_dim % p)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "config.cp_rank, config.cp_size: expected 0 <= cp_rank < "
                                                      "cp_size dividing hidden_dim %lld, got %d and %d",
                         (long long)c->hidden_dim, (int)c->cp_rank, (int)c->cp_size);
    if (p > 1 && c->causal)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "config.cp_size: a causal CKConvND has no context parallelism");
    return SUBQ_OK;
}

static subq_ckconv_config with_defaults(const subq_ckconv_config *config)
{
    subq_ckconv_config c = *config;
    if (!c.generator_hidden) c.generator_hidden = 32;
    if (!c.generator_layers) c.generator_layers = 3;
    if (c.omega0 == 0.0f) c.omega0 = 1.0f;
    if (!c.film_hidden) c.film_hidden = 64;
    if (c.cp_size < 1) c.cp_size = 1;
    return c;
}

static subq_status add(subq_ckconv *m, const char *name, int rank, const int64_t *shape, subq_tensor **t)
{
    return subq_parameters_add(m->parameters, name, rank, shape, t);
}

/* Registered in the order of CKConvND's state_dict: shortcut, kernel_generator, film, mask. */
static subq_status add_parameters(subq_ckconv *m)
{
    const subq_ckconv_config *c = &m->cfg;
    int64_t h = c->generator_hidden, d = c->data_dim, ch = c->hidden_dim, l = c->generator_layers;
    char name[96];
    SUBQ_TRY(add(m, "shortcut", 1, &ch, &m->shortcut));
    if (c->generator == SUBQ_GENERATOR_RFF) {
        SUBQ_TRY(add(m, "kernel_generator.fourier_weight", 2, (int64_t[]){h / 2, d}, &m->w_in));
    } else {
        SUBQ_TRY(add(m, "kernel_generator.input_layer.weight", 2, (int64_t[]){h, d}, &m->w_in));
        SUBQ_TRY(add(m, "kernel_generator.input_layer.bias", 1, &h, &m->b_in));
    }
    for (int i = 0; i < l - 1; i++) {
        snprintf(name, sizeof name, "kernel_generator.hidden_layers.%d.weight", i);
        SUBQ_TRY(add(m, name, 2, (int64_t[]){h, h}, &m->w_hidden[i]));
        snprintf(name, sizeof name, "kernel_generator.hidden_layers.%d.bias", i);
        SUBQ_TRY(add(m, name, 1, &h, &m->b_hidden[i]));
    }
    SUBQ_TRY(add(m, "kernel_generator.output_layer.weight", 2, (int64_t[]){ch, h}, &m->w_out));
    SUBQ_TRY(add(m, "kernel_generator.output_layer.bias", 1, &ch, &m->b_out));
    if (c->film_cond_dim) {
        int64_t fh = c->film_hidden, out = l * 2 * h;
        SUBQ_TRY(add(m, "film.net.0.weight", 2, (int64_t[]){fh, c->film_cond_dim}, &m->film_w0));
        SUBQ_TRY(add(m, "film.net.0.bias", 1, &fh, &m->film_b0));
        SUBQ_TRY(add(m, "film.net.2.weight", 2, (int64_t[]){out, fh}, &m->film_w2));
        SUBQ_TRY(add(m, "film.net.2.bias", 1, &out, &m->film_b2));
    }
    if (c->mask == SUBQ_KERNEL_MASK_GAUSSIAN) SUBQ_TRY(add(m, "mask.sigma", 2, (int64_t[]){d, ch}, &m->mask));
    if (c->mask == SUBQ_KERNEL_MASK_EXPONENTIAL) SUBQ_TRY(add(m, "mask.w", 2, (int64_t[]){d, ch}, &m->mask));
    return SUBQ_OK;
}

static subq_status build(subq_ckconv *m)
{
    const subq_ckconv_config *c = &m->cfg;
    size_t layers = (size_t)c->generator_layers;
    m->w_hidden = calloc(layers, sizeof *m->w_hidden);
    m->b_hidden = calloc(layers, sizeof *m->b_hidden);
    if (!m->w_hidden || !m->b_hidden) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "ckconv: out of host memory");
    int64_t largest = 0;
    for (int a = 0; a < c->data_dim; a++) largest = c->cache_size[a] > largest ? c->cache_size[a] : largest;
    double grid_size = 2.0 * (double)largest - 1.0;
    m->min_std = (float)((2.0 / (grid_size - 1.0)) * sqrt(-1.0 / (2.0 * log(0.1))));
    m->max_std = (float)sqrt(-1.0 / (2.0 * log(0.95)));
    m->local_channels = c->hidden_dim / c->cp_size;
    m->channel_offset = c->cp_rank * m->local_channels;
    SUBQ_TRY(subq_scratch_init(&m->scratch, m->ctx, CKCONV_SCRATCH_SLOTS));
    SUBQ_TRY(subq_parameters_create(m->ctx, &m->parameters));
    return add_parameters(m);
}

subq_status subq_ckconv_create(subq_context *context, const subq_ckconv_config *config, subq_ckconv **module)
{
    if (!module) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "module: expected somewhere to write, got NULL");
    *module = NULL;
    if (!context) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "context: expected a context, got NULL");
    if (!config) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "config: expected a CKConvND config, got NULL");
    subq_ckconv_config c = with_defaults(config);
    SUBQ_TRY(check_config(&c));
    subq_ckconv *m = calloc(1, sizeof *m);
    if (!m) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "ckconv: out of host memory");
    m->ctx = context;
    m->cfg = c;
    subq_status status = build(m);
    if (status != SUBQ_OK) {
        subq_ckconv_destroy(m);
        return status;
    }
    *module = m;
    return SUBQ_OK;
}

void subq_ckconv_destroy(subq_ckconv *m)
{
    if (!m) return;
    for (int32_t i = 0; i < m->entry_count; i++) {
        subq_fft_kernel_destroy(m->entries[i].spectrum);
        subq_tensor_destroy(m->entries[i].kernel);
    }
    free(m->entries);
    subq_scratch_release(&m->scratch);
    subq_parameters_destroy(m->parameters);
    free(m->w_hidden);
    free(m->b_hidden);
    free(m);
}

subq_parameters *subq_ckconv_parameters(subq_ckconv *m)
{
    return m ? m->parameters : NULL;
}

/* Values the reference's init writes by formula rather than by drawing. */
static subq_status load_values(subq_ckconv *m, const char *name, int64_t n, double (*value)(const subq_ckconv *, int64_t))
{
    float *values = malloc((size_t)n * sizeof *values);
    if (!values) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "ckconv: out of host memory for \"%s\"", name);
    for (int64_t i = 0; i < n; i++) values[i] = (float)value(m, i);
    subq_status status = subq_parameters_load(m->parameters, name, values, n);
    free(values);
    return status;
}

/* FiLM's last bias: gamma 1, beta 0 for every layer ([gamma0, beta0, gamma1, ...], H each). */
static double film_bias(const subq_ckconv *m, int64_t i)
{
    return (i / m->cfg.generator_hidden) % 2 == 0 ? 1.0 : 0.0;
}

/* Per axis linspace(a, b, C) over the channels (the exponential's divided by D). */
static double mask_init(const subq_ckconv *m, int64_t i)
{
    int64_t c = i % m->cfg.hidden_dim, n = m->cfg.hidden_dim;
    double t = n > 1 ? (double)c / (double)(n - 1) : 0.0;
    if (m->cfg.mask == SUBQ_KERNEL_MASK_GAUSSIAN) return m->min_std + t * (m->max_std - m->min_std);
    return (2.3 + t * (13.81 - 2.3)) / m->cfg.data_dim;
}

static subq_status init_generator(subq_ckconv *m, subq_random *r)
{
    const subq_ckconv_config *c = &m->cfg;
    subq_parameters *p = m->parameters;
    double h = c->generator_hidden, two_pi = 2.0 * 3.14159265358979323846, scale = 1.0;
    for (int a = 0; a < c->data_dim; a++) scale *= (double)c->cache_size[a];
    if (c->generator == SUBQ_GENERATOR_RFF) {
        SUBQ_TRY(subq_parameters_init_normal(p, "kernel_generator.fourier_weight", r, 0.0, two_pi * c->omega0));
    } else {
        double bound = two_pi * c->omega0 / c->data_dim;
        SUBQ_TRY(subq_parameters_init_uniform(p, "kernel_generator.input_layer.weight", r, -bound, bound));
        SUBQ_TRY(subq_parameters_init_constant(p, "kernel_generator.input_layer.bias", 0.0));
    }
    double bound = sqrt(6.0 / h);
    char name[96];
    for (int i = 0; i < c->generator_layers - 1; i++) {
        snprintf(name, sizeof name, "kernel_generator.hidden_layers.%d.weight", i);
        SUBQ_TRY(subq_parameters_init_uniform(p, name, r, -bound, bound));
        snprintf(name, sizeof name, "kernel_generator.hidden_layers.%d.bias", i);
        SUBQ_TRY(subq_parameters_init_constant(p, name, 0.0));
    }
    double out = bound * sqrt(1.0 / scale);
    SUBQ_TRY(subq_parameters_init_uniform(p, "kernel_generator.output_layer.weight", r, -out, out));
    return subq_parameters_init_constant(p, "kernel_generator.output_layer.bias", 0.0);
}

subq_status subq_ckconv_init(subq_ckconv *m, uint64_t seed)
{
    if (!m) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "module: expected a CKConvND, got NULL");
    subq_random r = subq_random_seeded(seed);
    const subq_ckconv_config *c = &m->cfg;
    double bound = sqrt(1.0 / (double)c->hidden_dim);
    SUBQ_TRY(subq_parameters_init_uniform(m->parameters, "shortcut", &r, -bound, bound));
    SUBQ_TRY(init_generator(m, &r));
    if (c->film_cond_dim) {
        double b = 1.0 / sqrt((double)c->film_cond_dim); /* nn.Linear's default */
        SUBQ_TRY(subq_parameters_init_uniform(m->parameters, "film.net.0.weight", &r, -b, b));
        SUBQ_TRY(subq_parameters_init_uniform(m->parameters, "film.net.0.bias", &r, -b, b));
        SUBQ_TRY(subq_parameters_init_constant(m->parameters, "film.net.2.weight", 0.0));
        SUBQ_TRY(load_values(m, "film.net.2.bias", (int64_t)c->generator_layers * 2 * c->generator_hidden, film_bias));
    }
    if (c->mask == SUBQ_KERNEL_MASK_GAUSSIAN) SUBQ_TRY(load_values(m, "mask.sigma", c->data_dim * c->hidden_dim, mask_init));
    if (c->mask == SUBQ_KERNEL_MASK_EXPONENTIAL) SUBQ_TRY(load_values(m, "mask.w", c->data_dim * c->hidden_dim, mask_init));
    return SUBQ_OK;
}

subq_status subq_ckconv_extent(const subq_ckconv *m, const int64_t *size, int64_t *points, int64_t *extent)
{
    int64_t p = 1;
    for (int a = 0; a < m->cfg.data_dim; a++) {
        if (size[a] < 1 || size[a] > INT32_MAX)
            return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "spatial size[%d]: expected 1 .. 2^31 - 1, got %lld", a,
                             (long long)size[a]);
        int64_t g = m->cfg.grid_type[a] == SUBQ_CKCONV_GRID_SINGLE ? (size[a] + 1) / 2 : size[a];
        extent[a] = 2 * g - 1;
        p *= extent[a];
        if (p > UINT32_MAX)
            return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "spatial size: the kernel grid would have more than "
                                                          "2^32 - 1 points");
    }
    *points = p;
    return SUBQ_OK;
}

/* The reference's formula term by term in the same order, so the truncation to an integer agrees. */
subq_status subq_ckconv_flop_count(const subq_ckconv *m, int rank, const int64_t *spatial_dims, int inference,
                                   int64_t *count)
{
    if (!m) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "module: expected a CKConvND, got NULL");
    if (!spatial_dims || !count)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "spatial_dims, count: expected pointers, got NULL");
    if (rank != m->cfg.data_dim)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "rank: the module has %d spatial axes, got %d",
                         (int)m->cfg.data_dim, rank);
    int64_t points, extent[SUBQ_CKCONV_MAX_AXES], f = 1, s = 1;
    SUBQ_TRY(subq_ckconv_extent(m, spatial_dims, &points, extent));
    for (int a = 0; a < rank; a++) {
        int64_t n = spatial_dims[a], full = n + (extent[a] + 1) / 2;
        f *= m->cfg.causal ? 2 * n : m->cfg.padding[a] == SUBQ_FFT_PADDING_CIRCULAR ? n : (full < 2 * n ? full : 2 * n);
        s *= n;
    }
    double fft = 2.5 * (double)f * log2((double)(f > 2 ? f : 2));
    double c = (double)m->local_channels;
    double total = c * ((2.0 * fft + (double)(6 * (f / 2 + 1))) + (double)(2 * s));
    if (!inference) {
        int64_t h = m->cfg.generator_hidden, mlp = 2 * m->cfg.data_dim * h;
        mlp += (int64_t)(m->cfg.generator_layers - 1) * 2 * h * h + 2 * h * m->cfg.hidden_dim;
        total = total + ((double)(points * (mlp + m->cfg.hidden_dim)) + c * fft);
    }
    *count = (int64_t)total;
    return SUBQ_OK;
}

static const char *padding_name(subq_fft_padding p)
{
    return p == SUBQ_FFT_PADDING_CIRCULAR ? "circular" : "zero";
}

subq_status subq_ckconv_describe(const subq_ckconv *m, char *text, size_t size)
{
    if (!m) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "module: expected a CKConvND, got NULL");
    if (!text || !size) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "text: expected a buffer, got NULL or size 0");
    const subq_ckconv_config *c = &m->cfg;
    char padding[64];
    bool same = true;
    for (int a = 1; a < c->data_dim; a++) same = same && c->padding[a] == c->padding[0];
    if (same) {
        snprintf(padding, sizeof padding, "%s", padding_name(c->padding[0]));
    } else {
        int n = snprintf(padding, sizeof padding, "[");
        for (int a = 0; a < c->data_dim; a++)
            n += snprintf(padding + n, sizeof padding - (size_t)n, "%s'%s'", a ? ", " : "", padding_name(c->padding[a]));
        snprintf(padding + n, sizeof padding - (size_t)n, "]");
    }
    const char *masks[] = {"None", "gaussian", "exponential"};
    int n = snprintf(text, size, "data_dim=%d, hidden_dim=%lld, is_causal=%s, fft_padding=%s, mask=%s", (int)c->data_dim,
                     (long long)c->hidden_dim, c->causal ? "True" : "False", padding, masks[c->mask]);
    if (n < 0 || (size_t)n >= size)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "size: the description needs %d bytes, got %zu", n + 1, size);
    return SUBQ_OK;
}
