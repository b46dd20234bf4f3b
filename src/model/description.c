#include "model/description.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/json.h"
#include "runtime/error.h"

#define FAIL(...) subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "description: " __VA_ARGS__)

/* Fields are named by their path ("mixer.d_state") in messages and looked up by its last part. */
static const char *leaf(const char *path) {
    const char *dot = strrchr(path, '.');
    return dot ? dot + 1 : path;
}

static subq_status integer(const json_value *object, const char *key, int64_t low, int64_t high, int64_t fallback,
                           int64_t *out) {
    const json_value *v = subq_json_get(object, leaf(key));
    if (!v) {
        if (fallback < low) return FAIL("'%s' is required", key);
        *out = fallback;
        return SUBQ_OK;
    }
    if (v->type != JSON_NUMBER || !v->is_integer || v->integer < low || v->integer > high)
        return FAIL("'%s' must be an integer in [%lld, %lld]", key, (long long)low, (long long)high);
    *out = v->integer;
    return SUBQ_OK;
}

/* An integer in [low, high], or null (or absent) for 0. */
static subq_status integer_or_null(const json_value *object, const char *key, int64_t low, int64_t high,
                                   int64_t *out) {
    const json_value *v = subq_json_get(object, leaf(key));
    if (v && v->type == JSON_NULL) v = NULL;
    if (v && (v->type != JSON_NUMBER || !v->is_integer || v->integer < low || v->integer > high))
        return FAIL("'%s' must be null or an integer in [%lld, %lld]", key, (long long)low, (long long)high);
    *out = v ? v->integer : 0;
    return SUBQ_OK;
}

static subq_status real(const json_value *object, const char *key, double low, double high, double fallback,
                        double *out) {
    const json_value *v = subq_json_get(object, leaf(key));
    *out = v ? v->number : fallback;
    if (v && (v->type != JSON_NUMBER || !(v->number >= low && v->number <= high)))
        return FAIL("'%s' must be a number in [%g, %g]", key, low, high);
    return SUBQ_OK;
}

/* A string field among names[] (NULL-terminated); JSON null reads as "null". *index = its position. */
static subq_status choice(const json_value *object, const char *key, const char *const *names, int fallback,
                          int *index) {
    const json_value *v = subq_json_get(object, leaf(key));
    if (!v) {
        *index = fallback;
        return SUBQ_OK;
    }
    const char *text = v->type == JSON_NULL ? "null" : v->type == JSON_STRING ? v->string : NULL;
    for (int i = 0; text && names[i]; i++) {
        if (strcmp(names[i], text) == 0) {
            *index = i;
            return SUBQ_OK;
        }
    }
    return FAIL("'%s': unknown value%s%.40s%s", key, text ? " '" : "", text ? text : "", text ? "'" : "");
}

static subq_status known_fields(const json_value *object, const char *where, const char *const *keys) {
    if (!object || object->type != JSON_OBJECT) return FAIL("%s must be a JSON object", where);
    for (size_t i = 0; i < object->count; i++) {
        int known = 0;
        for (int k = 0; keys[k] && !known; k++) known = strcmp(keys[k], object->items[i].key) == 0;
        if (!known) return FAIL("unknown field '%.64s' in %s", object->items[i].key, where);
    }
    return SUBQ_OK;
}

static const char *const TOP_KEYS[] = {"format", "version", "task", "hidden_dim", "layers", "mlp_hidden", "norm_eps",
                                       "mixer", "vocab_size", "max_length", "vocabulary", "in_channels", "image_size",
                                       "classes", "head", "metric", NULL};
static const char *const HYENA_KEYS[] = {"type", "short_conv", "generator", "generator_hidden", "generator_layers",
                                         "omega0", "mask", "gate", "qk_norm", "pixelhyena_norm", "output_norm",
                                         "fft_padding", NULL};
static const char *const S4_KEYS[] = {"type", "kernel_type", "d_state", "n_ssm", "disc", "dt_min", "dt_max", "l_max",
                                      NULL};
/* Indices are the subq_hyena_norm / subq_activation / subq_kernel_mask values. */
static const char *const NORMS[] = {"null", "rms", "layer", "l2", "identity", NULL};
static const char *const GATES[] = {"identity", "silu", "sigmoid", "gelu", "gelu_tanh", "softplus", NULL};
static const char *const MASKS[] = {"null", "gaussian", "exponential", NULL};
static const char *const GENERATORS[] = {"siren", "rff", NULL};
static const char *const PADDINGS[] = {"zero", "circular", NULL};

static subq_status norm(const json_value *mixer, const char *key, subq_hyena_norm *out) {
    int i;
    SUBQ_TRY(choice(mixer, key, NORMS, 0, &i));
    *out = i == 4 ? SUBQ_HYENA_NORM_NONE : (subq_hyena_norm)i;
    return SUBQ_OK;
}

static subq_status parse_hyena(const json_value *mixer, subq_model_task task, const int64_t cache[2],
                               model_description *d) {
    SUBQ_TRY(known_fields(mixer, "'mixer' (type hyena)", HYENA_KEYS));
    subq_hyena_config *h = &d->hyena;
    subq_ckconv_config *g = &h->global_conv;
    int64_t short_conv, hidden, layers;
    double omega0;
    int generator, mask, gate, padding;
    SUBQ_TRY(integer(mixer, "mixer.short_conv", 0, 64, 3, &short_conv));
    SUBQ_TRY(choice(mixer, "mixer.generator", GENERATORS, 0, &generator));
    SUBQ_TRY(integer(mixer, "mixer.generator_hidden", 1, 64, 32, &hidden));
    SUBQ_TRY(integer(mixer, "mixer.generator_layers", 1, 8, 3, &layers));
    SUBQ_TRY(real(mixer, "mixer.omega0", 1e-6, 1e6, 1.0, &omega0));
    SUBQ_TRY(choice(mixer, "mixer.mask", MASKS, 2, &mask));
    SUBQ_TRY(choice(mixer, "mixer.gate", GATES, 0, &gate));
    SUBQ_TRY(choice(mixer, "mixer.fft_padding", PADDINGS, 0, &padding));
    SUBQ_TRY(norm(mixer, "mixer.qk_norm", &h->qk_norm));
    SUBQ_TRY(norm(mixer, "mixer.pixelhyena_norm", &h->pixelhyena_norm));
    SUBQ_TRY(norm(mixer, "mixer.output_norm", &h->output_norm));
    int causal = task == SUBQ_MODEL_CAUSAL_LM, dims = causal ? 1 : 2;
    g->data_dim = dims;
    g->hidden_dim = d->info.hidden_dim;
    g->generator = (subq_kernel_generator)generator;
    g->generator_hidden = (int32_t)hidden;
    g->generator_layers = (int32_t)layers;
    g->omega0 = (float)omega0;
    g->rff_activation = SUBQ_ACTIVATION_GELU; /* model.py's RandomFourierKernel default */
    g->mask = (subq_kernel_mask)mask;
    g->causal = causal;
    for (int a = 0; a < dims; a++) {
        g->cache_size[a] = cache[a];
        g->padding[a] = (subq_fft_padding)padding;
    }
    h->gate = (subq_activation)gate;
    if (short_conv) {
        h->short_conv.kind = SUBQ_SHORT_CONV_CONV;
        h->short_conv.causal = causal;
        for (int a = 0; a < dims; a++) h->short_conv.kernel_size[a] = (int32_t)short_conv;
    }
    return SUBQ_OK;
}

/* FFTConvS4 over the sequence (image: the row-major pixels), lrnnx's defaults: d_state 64, n_ssm
 * null (H), disc "zoh" (s4d only), dt in [0.001, 0.1], l_max null. The DPLR kernel's C~ is set up
 * for l_max, or for the longest sequence the model describes (max_length; image: H * W). */
static subq_status parse_s4(const json_value *mixer, const int64_t cache[2], model_description *d) {
    SUBQ_TRY(known_fields(mixer, "'mixer' (type s4)", S4_KEYS));
    static const char *const KERNELS[] = {"s4d", "s4", NULL};
    static const char *const DISCS[] = {"zoh", "bilinear", NULL};
    subq_fftconv_s4_config *c = &d->s4;
    int64_t hidden = d->info.hidden_dim;
    int kernel, disc;
    SUBQ_TRY(choice(mixer, "mixer.kernel_type", KERNELS, -1, &kernel));
    if (kernel < 0) return FAIL("'mixer.kernel_type' is required (\"s4d\" or \"s4\")");
    if (kernel == 1 && subq_json_get(mixer, "disc"))
        return FAIL("'mixer.disc': only kernel_type \"s4d\" takes it (the s4 DPLR kernel is bilinear by construction)");
    SUBQ_TRY(choice(mixer, "mixer.disc", DISCS, 0, &disc));
    SUBQ_TRY(integer(mixer, "mixer.d_state", 2, 4096, 64, &c->d_state));
    if (c->d_state % 2) return FAIL("'mixer.d_state' must be even (the state holds conjugate pairs)");
    SUBQ_TRY(integer_or_null(mixer, "mixer.n_ssm", 1, hidden, &c->n_ssm));
    if (c->n_ssm && hidden % c->n_ssm)
        return FAIL("'mixer.n_ssm' (%lld) must divide hidden_dim (%lld)", (long long)c->n_ssm, (long long)hidden);
    SUBQ_TRY(real(mixer, "mixer.dt_min", 1e-12, 1e3, 0.001, &c->dt_min));
    SUBQ_TRY(real(mixer, "mixer.dt_max", 1e-12, 1e3, 0.1, &c->dt_max));
    if (c->dt_max < c->dt_min) return FAIL("'mixer.dt_max' (%g) must be >= dt_min (%g)", c->dt_max, c->dt_min);
    SUBQ_TRY(integer_or_null(mixer, "mixer.l_max", 1, 1 << 24, &c->l_max));
    c->d_model = hidden;
    c->channels = 1;
    c->not_transposed = 1;
    c->kernel_type = kernel ? SUBQ_S4_KERNEL_S4 : SUBQ_S4_KERNEL_S4D;
    c->disc = (subq_s4_discretization)disc;
    if (kernel) c->l_kernel = c->l_max ? c->l_max : cache[0] * (cache[1] ? cache[1] : 1);
    d->mixer = MODEL_MIXER_S4;
    d->info.mixer = KERNELS[kernel];
    return SUBQ_OK;
}

static subq_status parse_mixer(const json_value *mixer, subq_model_task task, const int64_t cache[2],
                               model_description *d) {
    if (!mixer || mixer->type != JSON_OBJECT) return FAIL("'mixer' must be a JSON object");
    static const char *const TYPES[] = {"hyena", "s4", NULL};
    int type;
    SUBQ_TRY(choice(mixer, "mixer.type", TYPES, 0, &type));
    if (type == 1) return parse_s4(mixer, cache, d);
    d->info.mixer = "hyena";
    return parse_hyena(mixer, task, cache, d);
}

/* vocabulary: exactly vocab_size UTF-8 characters; offsets of each. */
static subq_status parse_vocabulary(const json_value *v, model_description *d) {
    if (!v) return SUBQ_OK;
    if (v->type != JSON_STRING || strlen(v->string) != v->length)
        return FAIL("'vocabulary' must be a string without NUL characters");
    int64_t n = d->info.vocab_size;
    d->vocabulary = strdup(v->string);
    d->vocabulary_offsets = malloc((size_t)(n + 1) * sizeof *d->vocabulary_offsets);
    if (!d->vocabulary || !d->vocabulary_offsets) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "description: out of host memory");
    int64_t count = 0;
    for (size_t at = 0; at < v->length; at++) {
        if (((unsigned char)v->string[at] & 0xC0) == 0x80) continue; /* continuation byte */
        if (count == n) return FAIL("'vocabulary' has more than vocab_size = %lld characters", (long long)n);
        d->vocabulary_offsets[count++] = (int64_t)at;
    }
    if (count != n) return FAIL("'vocabulary' has %lld characters, vocab_size is %lld", (long long)count, (long long)n);
    d->vocabulary_offsets[n] = (int64_t)v->length;
    d->info.vocabulary = d->vocabulary;
    return SUBQ_OK;
}

static subq_status parse_task(const json_value *root, model_description *d, int64_t cache[2]) {
    subq_model_info *info = &d->info;
    if (info->task == SUBQ_MODEL_CAUSAL_LM) {
        SUBQ_TRY(integer(root, "vocab_size", 1, 1 << 24, 0, &info->vocab_size));
        SUBQ_TRY(integer(root, "max_length", 2, 1 << 24, 0, &info->max_length));
        cache[0] = info->max_length;
        return parse_vocabulary(subq_json_get(root, "vocabulary"), d);
    }
    static const char *const HEADS[] = {"classify", "pixel", NULL};
    int head;
    SUBQ_TRY(integer(root, "in_channels", 1, 1 << 16, 0, &info->in_channels));
    SUBQ_TRY(integer(root, "classes", 1, 1 << 24, 0, &info->classes));
    SUBQ_TRY(choice(root, "head", HEADS, 0, &head));
    info->per_pixel = head;
    const json_value *size = subq_json_get(root, "image_size");
    if (!size || size->type != JSON_ARRAY || size->count != 2) return FAIL("'image_size' must be [H, W]");
    for (int a = 0; a < 2; a++) {
        const json_value *n = &size->items[a];
        if (n->type != JSON_NUMBER || !n->is_integer || n->integer < 2 || n->integer > (1 << 16))
            return FAIL("'image_size[%d]' must be an integer in [2, 65536]", a);
        info->image_size[a] = cache[a] = n->integer;
    }
    return SUBQ_OK;
}

static subq_status parse(const json_value *root, model_description *d) {
    SUBQ_TRY(known_fields(root, "the description", TOP_KEYS));
    const json_value *format = subq_json_get(root, "format");
    if (format && (format->type != JSON_STRING || strcmp(format->string, "subq-model") != 0))
        return FAIL("'format' must be \"subq-model\"");
    int64_t version, layers;
    SUBQ_TRY(integer(root, "version", 1, 1, 1, &version));
    static const char *const TASKS[] = {"causal_lm", "image", NULL};
    int task;
    SUBQ_TRY(choice(root, "task", TASKS, -1, &task));
    if (task < 0) return FAIL("'task' is required (\"causal_lm\" or \"image\")");
    subq_model_info *info = &d->info;
    info->task = (subq_model_task)task;
    SUBQ_TRY(integer(root, "hidden_dim", 1, 1 << 16, 0, &info->hidden_dim));
    SUBQ_TRY(integer(root, "layers", 1, 4096, 0, &layers));
    info->layers = layers;
    SUBQ_TRY(integer(root, "mlp_hidden", 1, 1 << 20, 4 * info->hidden_dim, &info->mlp_hidden));
    SUBQ_TRY(real(root, "norm_eps", 1e-12, 1.0, 1e-6, &d->norm_eps)); /* > 0: 0 means "default" to subq_norm */
    int64_t cache[2] = {0, 0};
    SUBQ_TRY(parse_task(root, d, cache));
    const json_value *mixer = subq_json_get(root, "mixer");
    json_value empty = {.type = JSON_OBJECT};
    SUBQ_TRY(parse_mixer(mixer ? mixer : &empty, info->task, cache, d));
    const json_value *metric = subq_json_get(root, "metric");
    const json_value *loss = subq_json_get(metric, "validation_loss");
    info->validation_loss = loss && loss->type == JSON_NUMBER ? loss->number : NAN;
    return SUBQ_OK;
}

subq_status subq_model_description_parse(const char *text, model_description *d) {
    memset(d, 0, sizeof *d);
    if (!text) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "description: must not be NULL");
    char error[160];
    json_value *root = subq_json_parse(text, strlen(text), error, sizeof error);
    if (!root) return FAIL("%s", error);
    subq_status status = parse(root, d);
    subq_json_free(root);
    if (status != SUBQ_OK) subq_model_description_free(d);
    return status;
}

void subq_model_description_free(model_description *d) {
    free(d->vocabulary);
    free(d->vocabulary_offsets);
    d->vocabulary = NULL;
    d->vocabulary_offsets = NULL;
    d->info.vocabulary = NULL;
}
