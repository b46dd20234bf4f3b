/* safetensors: map, validate every header field before anything reads tensor bytes, then hand out
 * views into the mapping. */
#include "subq/safetensors.h"

#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/json.h"
#include "runtime/error.h"

typedef struct metadata_entry {
    const char *key, *value; /* point into the parsed header */
} metadata_entry;

struct subq_safetensors {
    void *mapping; /* NULL for open_memory */
    size_t mapping_size;
    json_value *header;
    subq_safetensors_tensor *tensors;
    int32_t count;
    metadata_entry *metadata;
    size_t metadata_count;
};

static const struct {
    const char *name;
    uint32_t size;
} DTYPES[] = {
    [SUBQ_SAFETENSORS_BOOL] = {"BOOL", 1}, [SUBQ_SAFETENSORS_U8] = {"U8", 1},     [SUBQ_SAFETENSORS_I8] = {"I8", 1},
    [SUBQ_SAFETENSORS_I16] = {"I16", 2},   [SUBQ_SAFETENSORS_U16] = {"U16", 2},   [SUBQ_SAFETENSORS_F16] = {"F16", 2},
    [SUBQ_SAFETENSORS_BF16] = {"BF16", 2}, [SUBQ_SAFETENSORS_I32] = {"I32", 4},   [SUBQ_SAFETENSORS_U32] = {"U32", 4},
    [SUBQ_SAFETENSORS_F32] = {"F32", 4},   [SUBQ_SAFETENSORS_F64] = {"F64", 8},   [SUBQ_SAFETENSORS_I64] = {"I64", 8},
    [SUBQ_SAFETENSORS_U64] = {"U64", 8},
};
#define DTYPE_COUNT ((int)(sizeof DTYPES / sizeof DTYPES[0]))

const char *subq_safetensors_dtype_name(subq_safetensors_dtype dtype) {
    return (int)dtype >= 0 && (int)dtype < DTYPE_COUNT ? DTYPES[dtype].name : "unknown";
}

void subq_safetensors_close(subq_safetensors *file) {
    if (!file) return;
    subq_json_free(file->header);
    free(file->tensors);
    free(file->metadata);
    if (file->mapping) munmap(file->mapping, file->mapping_size);
    free(file);
}

/* A non-negative JSON integer, exactly. */
static int natural(const json_value *v, uint64_t *out) {
    if (!v || v->type != JSON_NUMBER || !v->is_integer || v->integer < 0) return 0;
    *out = (uint64_t)v->integer;
    return 1;
}

static subq_status parse_dtype(const char *name, const json_value *v, subq_safetensors_dtype *dtype) {
    if (!v || v->type != JSON_STRING)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "safetensors: tensor '%s': \"dtype\" must be a string", name);
    for (int i = 0; i < DTYPE_COUNT; i++) {
        if (strcmp(v->string, DTYPES[i].name) == 0 && v->length == strlen(DTYPES[i].name)) {
            *dtype = (subq_safetensors_dtype)i;
            return SUBQ_OK;
        }
    }
    return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "safetensors: tensor '%s': unknown dtype '%.32s'", name, v->string);
}

/* Shape, element count and byte count, every product checked against overflow. */
static subq_status parse_shape(const char *name, const json_value *v, subq_safetensors_tensor *t) {
    if (!v || v->type != JSON_ARRAY)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "safetensors: tensor '%s': \"shape\" must be an array", name);
    if (v->count > SUBQ_SAFETENSORS_MAX_RANK)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "safetensors: tensor '%s': rank %zu exceeds %d", name, v->count,
                         SUBQ_SAFETENSORS_MAX_RANK);
    uint64_t numel = 1;
    for (size_t i = 0; i < v->count; i++) {
        uint64_t n;
        if (!natural(&v->items[i], &n))
            return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT,
                             "safetensors: tensor '%s': shape[%zu] must be a non-negative integer", name, i);
        if (n != 0 && numel > (uint64_t)INT64_MAX / n)
            return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "safetensors: tensor '%s': shape product overflows", name);
        numel *= n;
        t->shape[i] = (int64_t)n;
    }
    uint32_t size = DTYPES[t->dtype].size;
    if (numel > UINT64_MAX / size)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "safetensors: tensor '%s': byte count overflows", name);
    t->rank = (int32_t)v->count;
    t->numel = (int64_t)numel;
    t->bytes = numel * size;
    return SUBQ_OK;
}

static subq_status parse_tensor(const json_value *entry, uint64_t data_size, subq_safetensors_tensor *t,
                                uint64_t *begin) {
    const char *name = entry->key;
    if (strlen(name) != entry->key_length)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "safetensors: a tensor name contains a NUL character");
    if (entry->type != JSON_OBJECT)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "safetensors: tensor '%s': expected an object, got %s", name,
                         subq_json_type_name(entry->type));
    for (size_t i = 0; i < entry->count; i++) {
        const char *key = entry->items[i].key;
        if (strcmp(key, "dtype") && strcmp(key, "shape") && strcmp(key, "data_offsets"))
            return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "safetensors: tensor '%s': unknown field '%.32s'", name, key);
    }
    if (entry->count != 3)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT,
                         "safetensors: tensor '%s': needs exactly \"dtype\", \"shape\" and \"data_offsets\"", name);
    t->name = name;
    SUBQ_TRY(parse_dtype(name, subq_json_get(entry, "dtype"), &t->dtype));
    SUBQ_TRY(parse_shape(name, subq_json_get(entry, "shape"), t));
    const json_value *offsets = subq_json_get(entry, "data_offsets");
    uint64_t end;
    if (!offsets || offsets->type != JSON_ARRAY || offsets->count != 2 || !natural(&offsets->items[0], begin) ||
        !natural(&offsets->items[1], &end) || *begin > end)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT,
                         "safetensors: tensor '%s': \"data_offsets\" must be [begin, end], 0 <= begin <= end", name);
    if (end > data_size)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT,
                         "safetensors: tensor '%s': data_offsets end %llu is past the data (%llu bytes)", name,
                         (unsigned long long)end, (unsigned long long)data_size);
    if (end - *begin != t->bytes)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT,
                         "safetensors: tensor '%s': %s shape needs %llu bytes, data_offsets give %llu", name,
                         DTYPES[t->dtype].name, (unsigned long long)t->bytes, (unsigned long long)(end - *begin));
    return SUBQ_OK;
}

static subq_status parse_metadata(subq_safetensors *f, const json_value *v) {
    if (v->type != JSON_OBJECT)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "safetensors: __metadata__ must be an object of strings");
    f->metadata = calloc(v->count ? v->count : 1, sizeof *f->metadata);
    if (!f->metadata) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "safetensors: out of host memory");
    for (size_t i = 0; i < v->count; i++) {
        const json_value *item = &v->items[i];
        if (item->type != JSON_STRING || strlen(item->string) != item->length || strlen(item->key) != item->key_length)
            return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT,
                             "safetensors: __metadata__ '%.64s' must be a string without NUL characters", item->key);
        f->metadata[f->metadata_count++] = (metadata_entry){item->key, item->string};
    }
    return SUBQ_OK;
}

static int by_offset(const void *a, const void *b) {
    const subq_safetensors_tensor *x = a, *y = b;
    const char *xd = x->data, *yd = y->data;
    if (xd != yd) return xd < yd ? -1 : 1;
    return x->bytes < y->bytes ? -1 : x->bytes > y->bytes;
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static subq_status check_unique_names(const subq_safetensors *f) {
    const char **names = malloc((size_t)(f->count > 0 ? f->count : 1) * sizeof *names);
    if (!names) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "safetensors: out of host memory");
    for (int32_t i = 0; i < f->count; i++) names[i] = f->tensors[i].name;
    qsort(names, (size_t)f->count, sizeof *names, by_name);
    subq_status status = SUBQ_OK;
    for (int32_t i = 1; i < f->count && status == SUBQ_OK; i++)
        if (strcmp(names[i - 1], names[i]) == 0)
            status = subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "safetensors: tensor '%s' appears twice", names[i]);
    free(names);
    return status;
}

/* Sorted by offset, the tensors must cover the data exactly: each begins where the last ended. */
static subq_status check_tiling(subq_safetensors *f, const unsigned char *data, uint64_t data_size) {
    qsort(f->tensors, (size_t)f->count, sizeof *f->tensors, by_offset);
    uint64_t at = 0;
    for (int32_t i = 0; i < f->count; i++) {
        const subq_safetensors_tensor *t = &f->tensors[i];
        uint64_t begin = (uint64_t)((const unsigned char *)t->data - data);
        if (begin < at)
            return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "safetensors: tensor '%s' overlaps '%s'", t->name,
                             f->tensors[i - 1].name);
        if (begin > at)
            return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "safetensors: bytes [%llu, %llu) before tensor '%s' are unused",
                             (unsigned long long)at, (unsigned long long)begin, t->name);
        at = begin + t->bytes;
    }
    if (at != data_size)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "safetensors: the data is %llu bytes, the tensors cover %llu",
                         (unsigned long long)data_size, (unsigned long long)at);
    return check_unique_names(f);
}

static subq_status parse(subq_safetensors *f, const unsigned char *bytes, size_t size) {
    if (size < 8)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "safetensors: %zu bytes is too short for the header length", size);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = n << 8 | bytes[i];
    if (n > size - 8)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "safetensors: header length %llu is past the end of the file "
                         "(%zu bytes)", (unsigned long long)n, size);
    if (n > SUBQ_SAFETENSORS_MAX_HEADER)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "safetensors: header length %llu exceeds %u bytes",
                         (unsigned long long)n, SUBQ_SAFETENSORS_MAX_HEADER);
    char error[160];
    f->header = subq_json_parse((const char *)bytes + 8, (size_t)n, error, sizeof error);
    if (!f->header) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "safetensors: header: %s", error);
    if (f->header->type != JSON_OBJECT)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "safetensors: header must be a JSON object, got %s",
                         subq_json_type_name(f->header->type));
    const unsigned char *data = bytes + 8 + n;
    uint64_t data_size = size - 8 - n;
    f->tensors = calloc(f->header->count ? f->header->count : 1, sizeof *f->tensors);
    if (!f->tensors) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "safetensors: out of host memory");
    int metadata_seen = 0;
    for (size_t i = 0; i < f->header->count; i++) {
        const json_value *entry = &f->header->items[i];
        if (strcmp(entry->key, "__metadata__") == 0 && entry->key_length == strlen("__metadata__")) {
            if (metadata_seen++)
                return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "safetensors: __metadata__ appears twice");
            SUBQ_TRY(parse_metadata(f, entry));
            continue;
        }
        uint64_t begin = 0;
        subq_safetensors_tensor *t = &f->tensors[f->count];
        SUBQ_TRY(parse_tensor(entry, data_size, t, &begin));
        t->data = data + begin;
        f->count++;
    }
    return check_tiling(f, data, data_size);
}

subq_status subq_safetensors_open_memory(const void *data, size_t size, subq_safetensors **file) {
    if (!file) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "file: must not be NULL");
    *file = NULL;
    if (!data && size) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "data: NULL with a non-zero size");
    subq_safetensors *f = calloc(1, sizeof *f);
    if (!f) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "safetensors: out of host memory");
    subq_status status = parse(f, data, size);
    if (status != SUBQ_OK) {
        subq_safetensors_close(f);
        return status;
    }
    *file = f;
    return SUBQ_OK;
}

subq_status subq_safetensors_open(const char *path, subq_safetensors **file) {
    if (!file) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "file: must not be NULL");
    *file = NULL;
    if (!path) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "path: must not be NULL");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return subq_fail(SUBQ_ERROR_IO, "path: cannot open '%s'", path);
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return subq_fail(SUBQ_ERROR_IO, "path: '%s' is not a regular file", path);
    }
    size_t size = (size_t)st.st_size;
    if (size < 8) {
        close(fd);
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "safetensors: '%s' is %zu bytes, too short for a header", path,
                         size);
    }
    void *mapping = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (mapping == MAP_FAILED) return subq_fail(SUBQ_ERROR_IO, "path: cannot map '%s'", path);
    subq_status status = subq_safetensors_open_memory(mapping, size, file);
    if (status != SUBQ_OK) {
        munmap(mapping, size);
        return status;
    }
    (*file)->mapping = mapping;
    (*file)->mapping_size = size;
    return SUBQ_OK;
}

int32_t subq_safetensors_count(const subq_safetensors *file) { return file ? file->count : 0; }

subq_status subq_safetensors_get(const subq_safetensors *file, int32_t index, subq_safetensors_tensor *tensor) {
    if (!file || !tensor) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "file, tensor: must not be NULL");
    if (index < 0 || index >= file->count)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "index: %d is not in [0, %d)", index, file->count);
    *tensor = file->tensors[index];
    return SUBQ_OK;
}

subq_status subq_safetensors_find(const subq_safetensors *file, const char *name, subq_safetensors_tensor *tensor) {
    if (!file || !name || !tensor) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "file, name, tensor: must not be NULL");
    for (int32_t i = 0; i < file->count; i++) {
        if (strcmp(file->tensors[i].name, name) == 0) {
            *tensor = file->tensors[i];
            return SUBQ_OK;
        }
    }
    return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "name: the file has no tensor '%s'", name);
}

const char *subq_safetensors_metadata(const subq_safetensors *file, const char *key) {
    if (!file || !key) return NULL;
    for (size_t i = 0; i < file->metadata_count; i++)
        if (strcmp(file->metadata[i].key, key) == 0) return file->metadata[i].value;
    return NULL;
}

static float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h >> 15) << 31, exponent = (h >> 10) & 0x1F, mantissa = h & 0x3FF, bits;
    if (exponent == 0x1F) {
        bits = sign | 0x7F800000u | mantissa << 13;
    } else if (exponent) {
        bits = sign | (exponent + 112) << 23 | mantissa << 13;
    } else if (mantissa) { /* subnormal: normalise */
        int e = -1;
        do {
            e++;
            mantissa <<= 1;
        } while (!(mantissa & 0x400));
        bits = sign | (uint32_t)(112 - e) << 23 | (mantissa & 0x3FF) << 13;
    } else {
        bits = sign;
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

subq_status subq_safetensors_read_f32(const subq_safetensors_tensor *tensor, float *values, int64_t count) {
    if (!tensor || (!values && count)) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "tensor, values: must not be NULL");
    if (count != tensor->numel)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "count: tensor '%s' has %lld elements, got %lld", tensor->name,
                         (long long)tensor->numel, (long long)count);
    const unsigned char *src = tensor->data;
    for (int64_t i = 0; i < count; i++) {
        switch (tensor->dtype) {
        case SUBQ_SAFETENSORS_F32: memcpy(&values[i], src + 4 * i, 4); break;
        case SUBQ_SAFETENSORS_F64: {
            double d;
            memcpy(&d, src + 8 * i, 8);
            /* Out of float's range the conversion is undefined in C: saturate to infinity first. */
            values[i] = d > FLT_MAX ? INFINITY : d < -FLT_MAX ? -INFINITY : (float)d;
            break;
        }
        case SUBQ_SAFETENSORS_F16:
        case SUBQ_SAFETENSORS_BF16: {
            uint16_t h = (uint16_t)(src[2 * i] | src[2 * i + 1] << 8);
            if (tensor->dtype == SUBQ_SAFETENSORS_F16) {
                values[i] = half_to_float(h);
            } else {
                uint32_t bits = (uint32_t)h << 16;
                memcpy(&values[i], &bits, 4);
            }
            break;
        }
        default:
            return subq_fail(SUBQ_ERROR_UNSUPPORTED, "tensor: '%s' is %s, not a floating-point type", tensor->name,
                             DTYPES[tensor->dtype].name);
        }
    }
    return SUBQ_OK;
}
