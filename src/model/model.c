/* Models: build the modules a description names, load weights by name, run the forward pass. */
#include "model/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/add.h"
#include "runtime/error.h"

#define METADATA_KEY "subq_model"

static subq_status add(subq_model *m, const char *name, int rank, const int64_t *shape, subq_tensor **t) {
    return subq_parameters_add(m->parameters, name, rank, shape, t);
}

/* QKVSequenceMixer(Hyena), the mixer owning the Hyena. */
static subq_status add_hyena(subq_model *m, model_block *b) {
    SUBQ_TRY(subq_hyena_create(m->ctx, &m->d.hyena, &b->hyena));
    subq_qkv_mixer_config config = {.hidden_dim = m->d.info.hidden_dim, .init_std_in = 0.02f,
                                    .init_std_out = 0.02f / sqrtf(2.0f * (float)m->d.info.layers),
                                    .mixer = subq_hyena_mixer(b->hyena, 1)};
    subq_status status = subq_qkv_mixer_create(m->ctx, &config, &b->mixer);
    if (status != SUBQ_OK) {
        subq_hyena_destroy(b->hyena);
        b->hyena = NULL;
    }
    return status;
}

static subq_status add_block(subq_model *m, int64_t index, model_block *b) {
    const subq_model_info *info = &m->d.info;
    int64_t c = info->hidden_dim, h = info->mlp_hidden;
    char name[96];
#define NAME(suffix) (snprintf(name, sizeof name, "blocks.%lld." suffix, (long long)index), name)
    SUBQ_TRY(add(m, NAME("norm1.weight"), 1, &c, &b->norm1));
    if (m->d.mixer == MODEL_MIXER_S4) {
        SUBQ_TRY(model_s4_create(m->ctx, &m->d.s4, &b->s4));
        SUBQ_TRY(subq_parameters_attach(m->parameters, NAME("mixer"), b->s4.parameters));
    } else {
        SUBQ_TRY(add_hyena(m, b));
        SUBQ_TRY(subq_parameters_attach(m->parameters, NAME("mixer"), subq_qkv_mixer_parameters(b->mixer)));
    }
    SUBQ_TRY(add(m, NAME("norm2.weight"), 1, &c, &b->norm2));
    SUBQ_TRY(add(m, NAME("mlp.fc1.weight"), 2, (int64_t[]){h, c}, &b->fc1_weight));
    SUBQ_TRY(add(m, NAME("mlp.fc1.bias"), 1, &h, &b->fc1_bias));
    SUBQ_TRY(add(m, NAME("mlp.fc2.weight"), 2, (int64_t[]){c, h}, &b->fc2_weight));
    SUBQ_TRY(add(m, NAME("mlp.fc2.bias"), 1, &c, &b->fc2_bias));
#undef NAME
    return SUBQ_OK;
}

static subq_status build(subq_model *m) {
    const subq_model_info *info = &m->d.info;
    int64_t c = info->hidden_dim;
    SUBQ_TRY(subq_parameters_create(m->ctx, &m->parameters));
    if (info->task == SUBQ_MODEL_CAUSAL_LM) {
        SUBQ_TRY(add(m, "embedding.weight", 2, (int64_t[]){info->vocab_size, c}, &m->embedding_weight));
    } else {
        SUBQ_TRY(add(m, "embedding.weight", 2, (int64_t[]){c, info->in_channels}, &m->embedding_weight));
        SUBQ_TRY(add(m, "embedding.bias", 1, &c, &m->embedding_bias));
    }
    m->blocks = calloc((size_t)info->layers, sizeof *m->blocks);
    if (!m->blocks) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "model: out of host memory");
    for (int64_t i = 0; i < info->layers; i++) SUBQ_TRY(add_block(m, i, &m->blocks[i]));
    SUBQ_TRY(add(m, "norm.weight", 1, &c, &m->norm));
    int64_t out = info->task == SUBQ_MODEL_CAUSAL_LM ? info->vocab_size : info->classes;
    SUBQ_TRY(add(m, "head.weight", 2, (int64_t[]){out, c}, &m->head_weight));
    if (info->task == SUBQ_MODEL_IMAGE) SUBQ_TRY(add(m, "head.bias", 1, &out, &m->head_bias));
    int64_t total = 0;
    for (int32_t i = 0; i < subq_parameters_count(m->parameters); i++) {
        subq_parameter_info p;
        SUBQ_TRY(subq_parameters_info(m->parameters, i, &p));
        total += p.numel;
    }
    m->d.info.parameter_count = total;
    return SUBQ_OK;
}

void subq_model_destroy(subq_model *model) {
    if (!model) return;
    subq_model_scratch_free(&model->scratch);
    if (model->blocks)
        for (int64_t i = 0; i < model->d.info.layers; i++) {
            subq_qkv_mixer_destroy(model->blocks[i].mixer);
            model_s4_destroy(&model->blocks[i].s4);
        }
    subq_parameters_destroy(model->parameters);
    free(model->blocks);
    free(model->embedding_host);
    subq_model_description_free(&model->d);
    free(model);
}

subq_status subq_model_create(subq_context *context, const char *description, subq_model **model) {
    if (!model) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "model: must not be NULL");
    *model = NULL;
    if (!context) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "context: must not be NULL");
    subq_model *m = calloc(1, sizeof *m);
    if (!m) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "model: out of host memory");
    m->ctx = context;
    subq_status status = subq_model_description_parse(description, &m->d);
    if (status == SUBQ_OK) status = build(m);
    if (status == SUBQ_OK) status = subq_model_init(m, 0);
    if (status != SUBQ_OK) {
        subq_model_destroy(m);
        return status;
    }
    *model = m;
    return SUBQ_OK;
}

/* model.py's init: norms 1, embedding N(0, 0.02) (LM), Linear's U(+-1/sqrt(fan_in)) for the MLP,
 * image embedding and head, the mixers' own init. */
subq_status subq_model_init(subq_model *model, uint64_t seed) {
    if (!model) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "model: must not be NULL");
    const subq_model_info *info = &model->d.info;
    subq_parameters *p = model->parameters;
    subq_random random = subq_random_seeded(seed);
    for (int32_t i = 0; i < subq_parameters_count(p); i++) {
        subq_parameter_info pi;
        SUBQ_TRY(subq_parameters_info(p, i, &pi));
        const char *name = pi.name, *dot = strrchr(name, '.');
        if (strstr(name, ".mixer.")) continue;
        if (strstr(name, "norm")) {
            SUBQ_TRY(subq_parameters_init_constant(p, name, 1.0));
        } else if (!strcmp(name, "embedding.weight") && info->task == SUBQ_MODEL_CAUSAL_LM) {
            SUBQ_TRY(subq_parameters_init_normal(p, name, &random, 0.0, 0.02));
        } else {
            /* a Linear's weight [out, in] or bias [out]: fan_in from the weight beside it */
            char weight[128];
            snprintf(weight, sizeof weight, "%.*s.weight", (int)(dot - name), name);
            subq_parameter_info w;
            int32_t index;
            SUBQ_TRY(subq_parameters_find(p, weight, &index));
            SUBQ_TRY(subq_parameters_info(p, index, &w));
            double bound = 1.0 / sqrt((double)w.shape[1]);
            SUBQ_TRY(subq_parameters_init_uniform(p, name, &random, -bound, bound));
        }
    }
    for (int64_t i = 0; i < info->layers; i++) {
        uint64_t block_seed = seed + 1000003 * (uint64_t)(i + 1);
        model_block *b = &model->blocks[i];
        SUBQ_TRY(b->s4.layer ? model_s4_init(&b->s4, block_seed) : subq_qkv_mixer_init(b->mixer, block_seed));
    }
    return SUBQ_OK;
}

subq_status subq_model_load_weights(subq_model *model, const subq_safetensors *file) {
    if (!model || !file) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "model, file: must not be NULL");
    subq_parameters *p = model->parameters;
    int32_t count = subq_parameters_count(p);
    for (int32_t i = 0; i < count; i++) {
        subq_parameter_info info;
        subq_safetensors_tensor t;
        SUBQ_TRY(subq_parameters_info(p, i, &info));
        if (subq_safetensors_find(file, info.name, &t) != SUBQ_OK)
            return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "file: the model needs a tensor '%s'", info.name);
        int same = t.rank == info.rank;
        for (int a = 0; same && a < info.rank; a++) same = t.shape[a] == info.shape[a];
        if (!same)
            return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "file: tensor '%s' has the wrong shape (rank %d, %lld elements; "
                             "the model needs rank %d, %lld)", info.name, t.rank, (long long)t.numel, info.rank,
                             (long long)info.numel);
        float *values = malloc((size_t)(info.numel ? info.numel : 1) * sizeof *values);
        if (!values) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "model: out of host memory");
        subq_status status = subq_safetensors_read_f32(&t, values, t.numel);
        if (status == SUBQ_OK) status = subq_parameters_load(p, info.name, values, info.numel);
        free(values);
        SUBQ_TRY(status);
    }
    if (subq_safetensors_count(file) != count) {
        for (int32_t i = 0; i < subq_safetensors_count(file); i++) {
            subq_safetensors_tensor t;
            int32_t index;
            SUBQ_TRY(subq_safetensors_get(file, i, &t));
            if (subq_parameters_find(p, t.name, &index) != SUBQ_OK)
                return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "file: tensor '%s' is not a weight of this model", t.name);
        }
    }
    return SUBQ_OK;
}

subq_status subq_model_load(subq_context *context, const char *path, subq_model **model) {
    if (!model) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "model: must not be NULL");
    *model = NULL;
    subq_safetensors *file;
    SUBQ_TRY(subq_safetensors_open(path, &file));
    const char *description = subq_safetensors_metadata(file, METADATA_KEY);
    subq_status status = description ? subq_model_create(context, description, model)
                                     : subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "path: '%s' has no __metadata__ \"%s\" "
                                                 "(not a subq model file)", path, METADATA_KEY);
    if (status == SUBQ_OK) status = subq_model_load_weights(*model, file);
    subq_safetensors_close(file);
    if (status != SUBQ_OK) {
        subq_model_destroy(*model);
        *model = NULL;
    }
    return status;
}

subq_status subq_model_get_info(const subq_model *model, subq_model_info *info) {
    if (!model || !info) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "model, info: must not be NULL");
    *info = model->d.info;
    return SUBQ_OK;
}

subq_parameters *subq_model_parameters(subq_model *model) { return model ? model->parameters : NULL; }
