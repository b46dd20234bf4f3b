#include "modules/parameters.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One row per visible parameter: the table's own (owner == the table) and attached ones. */
typedef struct entry {
    char *name;
    subq_tensor *tensor;
    subq_parameters *owner;
} entry;

struct subq_parameters {
    subq_context *ctx;
    entry *entries;
    int32_t count, capacity;
    uint64_t version;
};

subq_status subq_parameters_create(subq_context *ctx, subq_parameters **parameters) {
    subq_parameters *p = calloc(1, sizeof *p);
    if (!p) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "parameters: out of host memory");
    p->ctx = ctx;
    *parameters = p;
    return SUBQ_OK;
}

void subq_parameters_destroy(subq_parameters *parameters) {
    if (!parameters) return;
    for (int32_t i = 0; i < parameters->count; i++) {
        if (parameters->entries[i].owner == parameters) subq_tensor_destroy(parameters->entries[i].tensor);
        free(parameters->entries[i].name);
    }
    free(parameters->entries);
    free(parameters);
}

static subq_status append(subq_parameters *p, char *name, subq_tensor *tensor, subq_parameters *owner) {
    if (!name) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "parameters: out of host memory");
    if (p->count == p->capacity) {
        int32_t capacity = p->capacity ? 2 * p->capacity : 16;
        entry *grown = realloc(p->entries, (size_t)capacity * sizeof *grown);
        if (!grown) {
            free(name);
            return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "parameters: out of host memory");
        }
        p->entries = grown;
        p->capacity = capacity;
    }
    p->entries[p->count++] = (entry){name, tensor, owner};
    return SUBQ_OK;
}

subq_status subq_parameters_add(subq_parameters *parameters, const char *name, int rank, const int64_t *shape,
                                subq_tensor **tensor) {
    SUBQ_TRY(subq_tensor_create(parameters->ctx, SUBQ_F32, rank, shape, tensor));
    subq_status status = append(parameters, strdup(name), *tensor, parameters);
    if (status != SUBQ_OK) subq_tensor_destroy(*tensor);
    return status;
}

subq_status subq_parameters_attach(subq_parameters *parameters, const char *prefix, subq_parameters *child) {
    for (int32_t i = 0; i < child->count; i++) {
        size_t bytes = strlen(prefix) + strlen(child->entries[i].name) + 2;
        char *name = malloc(bytes);
        if (name) snprintf(name, bytes, "%s.%s", prefix, child->entries[i].name);
        SUBQ_TRY(append(parameters, name, child->entries[i].tensor, child->entries[i].owner));
    }
    return SUBQ_OK;
}

uint64_t subq_parameters_version(const subq_parameters *parameters) {
    return parameters->version;
}

int32_t subq_parameters_count(const subq_parameters *parameters) {
    return parameters ? parameters->count : 0;
}

subq_status subq_parameters_info(const subq_parameters *parameters, int32_t index, subq_parameter_info *info) {
    if (!parameters) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "parameters: expected a module's table, got NULL");
    if (!info) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "info: expected a pointer, got NULL");
    if (index < 0 || index >= parameters->count)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "index: expected 0 <= index < %d, got %d", parameters->count,
                         index);
    const subq_tensor *t = parameters->entries[index].tensor;
    *info = (subq_parameter_info){.name = parameters->entries[index].name, .rank = t->rank,
                                  .numel = subq_tensor_numel(t)};
    memcpy(info->shape, t->shape, sizeof info->shape);
    return SUBQ_OK;
}

subq_status subq_parameters_find(const subq_parameters *parameters, const char *name, int32_t *index) {
    if (!parameters) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "parameters: expected a module's table, got NULL");
    if (!name) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "name: expected a parameter name, got NULL");
    for (int32_t i = 0; i < parameters->count; i++) {
        if (strcmp(parameters->entries[i].name, name) == 0) {
            if (index) *index = i;
            return SUBQ_OK;
        }
    }
    return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "name: the module has no parameter \"%s\"", name);
}

/* The named entry, with count checked against its size. */
static subq_status lookup(const subq_parameters *parameters, const char *name, const void *values, int64_t count,
                          const entry **found) {
    int32_t index;
    SUBQ_TRY(subq_parameters_find(parameters, name, &index));
    *found = &parameters->entries[index];
    int64_t numel = subq_tensor_numel((*found)->tensor);
    if (!values) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "values: expected %lld floats, got NULL", (long long)numel);
    if (count != numel)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "count: parameter \"%s\" holds %lld values, got %lld", name,
                         (long long)numel, (long long)count);
    return SUBQ_OK;
}

subq_status subq_parameters_load(subq_parameters *parameters, const char *name, const float *values, int64_t count) {
    const entry *e;
    SUBQ_TRY(lookup(parameters, name, values, count, &e));
    SUBQ_TRY(subq_tensor_upload(e->tensor, values, (size_t)count * sizeof(float)));
    e->owner->version++;
    return SUBQ_OK;
}

subq_status subq_parameters_read(const subq_parameters *parameters, const char *name, float *values, int64_t count) {
    const entry *e;
    SUBQ_TRY(lookup(parameters, name, values, count, &e));
    return subq_tensor_download(e->tensor, values, (size_t)count * sizeof(float));
}

/* Fill a host copy with draw(), then load it. */
static subq_status init_with(subq_parameters *parameters, const char *name, double (*draw)(void *, double, double),
                             void *state, double a, double b) {
    int32_t index;
    SUBQ_TRY(subq_parameters_find(parameters, name, &index));
    int64_t n = subq_tensor_numel(parameters->entries[index].tensor);
    float *values = malloc((size_t)n * sizeof *values);
    if (!values) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "parameters: out of host memory for \"%s\"", name);
    for (int64_t i = 0; i < n; i++) values[i] = (float)draw(state, a, b);
    subq_status status = subq_parameters_load(parameters, name, values, n);
    free(values);
    return status;
}

static double draw_uniform(void *random, double low, double high) {
    return low + (high - low) * subq_random_uniform(random);
}

static double draw_normal(void *random, double mean, double std) {
    return mean + std * subq_random_normal(random);
}

static double draw_constant(void *unused, double value, double also_unused) {
    (void)unused, (void)also_unused;
    return value;
}

subq_status subq_parameters_init_uniform(subq_parameters *parameters, const char *name, subq_random *random,
                                         double low, double high) {
    return init_with(parameters, name, draw_uniform, random, low, high);
}

subq_status subq_parameters_init_normal(subq_parameters *parameters, const char *name, subq_random *random,
                                        double mean, double std) {
    return init_with(parameters, name, draw_normal, random, mean, std);
}

subq_status subq_parameters_init_constant(subq_parameters *parameters, const char *name, double value) {
    return init_with(parameters, name, draw_constant, NULL, value, 0.0);
}
