/* The safetensors reader and its JSON parser on valid files and on crafted hostile ones: every
 * hostile file must be refused with a message naming what is wrong (AddressSanitizer, in the
 * sanitizer build, watches that nothing reads outside the buffer). No device needed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/json.h"
#include "subq/safetensors.h"

static int passed, failed;

static void record(const char *label, int ok, const char *detail) {
    printf("%s %s%s%s\n", ok ? "ok  " : "FAIL", label, detail && *detail ? ": " : "", detail ? detail : "");
    passed += ok;
    failed += !ok;
}

/* An exact-size heap copy of: 8-byte header length, header, data (so ASan sees any overread). */
static unsigned char *file_of(const char *header, uint64_t claimed, const void *data, size_t data_size,
                              size_t *size) {
    size_t n = strlen(header);
    *size = 8 + n + data_size;
    unsigned char *bytes = malloc(*size);
    for (int i = 0; i < 8; i++) bytes[i] = (unsigned char)(claimed >> (8 * i));
    memcpy(bytes + 8, header, n);
    if (data_size) memcpy(bytes + 8 + n, data, data_size);
    return bytes;
}

static void hostile(const char *label, const char *header, size_t data_size, const char *mentions) {
    unsigned char zeros[64] = {0};
    size_t size;
    unsigned char *bytes = file_of(header, strlen(header), zeros, data_size, &size);
    subq_safetensors *f = (subq_safetensors *)1;
    subq_status status = subq_safetensors_open_memory(bytes, size, &f);
    const char *message = subq_last_error();
    record(label, status == SUBQ_ERROR_INVALID_ARGUMENT && f == NULL && strstr(message, mentions), message);
    free(bytes);
}

static void test_hostile_headers(void) {
    const char *t = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";
    char buffer[256];
    hostile("header not an object", "[1,2]", 0, "must be a JSON object");
    hostile("truncated JSON", "{\"a\":{\"dtype\":", 0, "unexpected end");
    hostile("trailing comma", "{\"a\":1,}", 0, "member name");
    hostile("text after the header", "{} x", 0, "text after the value");
    hostile("comment", "{/*x*/}", 0, "member name");
    hostile("leading zero", "{\"a\":{\"dtype\":\"F32\",\"shape\":[02],\"data_offsets\":[0,8]}}", 8, "leading zero");
    hostile("invalid UTF-8", "{\"\xC0\xAF\":1}", 0, "UTF-8");
    hostile("lone surrogate", "{\"\\uD800x\":1}", 0, "surrogate");
    hostile("control character", "{\"a\nb\":1}", 0, "control character");
    hostile("bad escape", "{\"\\q\":1}", 0, "unknown escape");
    hostile("unknown dtype", "{\"a\":{\"dtype\":\"F31\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "unknown dtype");
    hostile("dtype not a string", "{\"a\":{\"dtype\":4,\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "dtype");
    hostile("negative dimension", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "shape[0]");
    hostile("fractional dimension", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", 8, "shape[0]");
    hostile("rank 9", "{\"a\":{\"dtype\":\"U8\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,1]}}", 1, "rank 9");
    hostile("shape product overflows",
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", 8, "overflows");
    hostile("byte count overflows", "{\"a\":{\"dtype\":\"F64\",\"shape\":[4611686018427387904],\"data_offsets\":[0,8]}}",
            8, "overflows");
    hostile("dimension past int64", "{\"a\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,8]}}",
            8, "shape[0]");
    hostile("size mismatch", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "needs 12 bytes");
    hostile("end past the data", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 8, "past the data");
    hostile("begin after end", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, "begin <= end");
    hostile("offsets of three", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,8]}}", 8, "data_offsets");
    hostile("missing shape", "{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8, "exactly");
    hostile("unknown field", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":1}}", 8,
            "unknown field 'x'");
    hostile("entry not an object", "{\"a\":[1]}", 0, "expected an object");
    snprintf(buffer, sizeof buffer, "%s,\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", t);
    hostile("overlap", buffer, 12, "overlaps");
    snprintf(buffer, sizeof buffer, "%s,\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}", t);
    hostile("hole", buffer, 16, "unused");
    snprintf(buffer, sizeof buffer, "%s}", t);
    hostile("bytes left over", buffer, 12, "cover 8");
    snprintf(buffer, sizeof buffer, "%s,\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", t);
    hostile("duplicate name", buffer, 16, "appears twice");
    hostile("NUL in a name", "{\"a\\u0000b\":{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[0,1]}}", 1, "NUL");
    hostile("metadata not strings", "{\"__metadata__\":{\"k\":1}}", 0, "__metadata__ 'k'");
    hostile("metadata not an object", "{\"__metadata__\":\"x\"}", 0, "__metadata__");
    hostile("metadata twice", "{\"__metadata__\":{},\"__metadata__\":{}}", 0, "twice");
    char deep[200] = "{\"a\":";
    for (int i = 0; i < 70; i++) strcat(deep, "[");
    hostile("nesting too deep", deep, 0, "deeper than 64");
}

static void test_lengths(void) {
    unsigned char tiny[5] = {1, 2, 3, 4, 5};
    subq_safetensors *f;
    subq_status status = subq_safetensors_open_memory(tiny, sizeof tiny, &f);
    record("file shorter than 8 bytes", status == SUBQ_ERROR_INVALID_ARGUMENT && strstr(subq_last_error(), "too short"),
           subq_last_error());
    size_t size;
    unsigned char *bytes = file_of("{}", 1000, NULL, 0, &size);
    status = subq_safetensors_open_memory(bytes, size, &f);
    record("header length past the file", status == SUBQ_ERROR_INVALID_ARGUMENT && strstr(subq_last_error(), "past the end"),
           subq_last_error());
    free(bytes);
    bytes = file_of("{}", UINT64_MAX, NULL, 0, &size);
    status = subq_safetensors_open_memory(bytes, size, &f);
    record("header length 2^64 - 1", status == SUBQ_ERROR_INVALID_ARGUMENT, subq_last_error());
    free(bytes);
    status = subq_safetensors_open("/nonexistent/model.safetensors", &f);
    record("missing file", status == SUBQ_ERROR_IO && strstr(subq_last_error(), "/nonexistent"), subq_last_error());
    status = subq_safetensors_open("/", &f);
    record("a directory", status == SUBQ_ERROR_IO, subq_last_error());
    status = subq_safetensors_open_memory(NULL, 4, &f);
    record("NULL data", status == SUBQ_ERROR_INVALID_ARGUMENT && strstr(subq_last_error(), "data"), subq_last_error());
}

/* A valid file of every float dtype, written to disk and mapped; values and metadata read back. */
static void test_valid(void) {
    const char *header = "{\"__metadata__\":{\"subq_model\":\"{\\\"x\\\": \\\"\\u00e9\\\"}\"},"
                         "\"f64\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[16,32]},"
                         "\"f32\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[0,8]},"
                         "\"f16\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[32,38]},"
                         "\"bf16\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[38,40]},"
                         "\"i32\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[8,16]},"
                         "\"empty\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[40,40]}}";
    unsigned char data[40];
    float f32[2] = {1.5f, -2.25f};
    int32_t i32[2] = {7, -7};
    double f64[2] = {0.1, 1e300};
    uint16_t f16[3] = {0x3C00, 0xC000, 0x0001}, bf16 = 0x3FC0; /* 1, -2, 2^-24; 1.5 */
    memcpy(data, f32, 8), memcpy(data + 8, i32, 8), memcpy(data + 16, f64, 16), memcpy(data + 32, f16, 6);
    memcpy(data + 38, &bf16, 2);
    size_t size;
    unsigned char *bytes = file_of(header, strlen(header), data, sizeof data, &size);
    char path[] = "/tmp/subq_safetensors_XXXXXX";
    int fd = mkstemp(path);
    int wrote = fd >= 0 && write(fd, bytes, size) == (ssize_t)size;
    if (fd >= 0) close(fd);
    free(bytes);
    subq_safetensors *f = NULL;
    if (!wrote || subq_safetensors_open(path, &f) != SUBQ_OK) {
        record("open a valid file", 0, subq_last_error());
        unlink(path);
        return;
    }
    unlink(path);
    subq_safetensors_tensor t;
    float v[3];
    int ok = subq_safetensors_count(f) == 6 && subq_safetensors_get(f, 0, &t) == SUBQ_OK && !strcmp(t.name, "f32");
    record("tensors in offset order", ok, "");
    ok = subq_safetensors_find(f, "f32", &t) == SUBQ_OK && t.rank == 2 && t.shape[1] == 2 &&
         subq_safetensors_read_f32(&t, v, 2) == SUBQ_OK && v[0] == 1.5f && v[1] == -2.25f;
    record("F32 values", ok, "");
    ok = subq_safetensors_find(f, "f64", &t) == SUBQ_OK && subq_safetensors_read_f32(&t, v, 2) == SUBQ_OK &&
         v[0] == 0.1f && isinf(v[1]);
    record("F64 values (out of range saturates)", ok, "");
    ok = subq_safetensors_find(f, "f16", &t) == SUBQ_OK && subq_safetensors_read_f32(&t, v, 3) == SUBQ_OK &&
         v[0] == 1.0f && v[1] == -2.0f && v[2] == ldexpf(1.0f, -24);
    record("F16 values (normal, subnormal)", ok, "");
    ok = subq_safetensors_find(f, "bf16", &t) == SUBQ_OK && subq_safetensors_read_f32(&t, v, 1) == SUBQ_OK && v[0] == 1.5f;
    record("BF16 values", ok, "");
    ok = subq_safetensors_find(f, "empty", &t) == SUBQ_OK && t.numel == 0 && t.bytes == 0;
    record("empty tensor", ok, "");
    ok = subq_safetensors_find(f, "i32", &t) == SUBQ_OK &&
         subq_safetensors_read_f32(&t, v, 2) == SUBQ_ERROR_UNSUPPORTED && strstr(subq_last_error(), "I32");
    record("I32 is not read as f32", ok, subq_last_error());
    ok = subq_safetensors_find(f, "f32", &t) == SUBQ_OK && subq_safetensors_read_f32(&t, v, 3) == SUBQ_ERROR_INVALID_ARGUMENT;
    record("count must equal numel", ok, subq_last_error());
    ok = subq_safetensors_find(f, "nope", &t) == SUBQ_ERROR_INVALID_ARGUMENT && strstr(subq_last_error(), "nope");
    record("unknown name", ok, subq_last_error());
    const char *meta = subq_safetensors_metadata(f, "subq_model");
    record("metadata (escapes decoded)", meta && !strcmp(meta, "{\"x\": \"\xC3\xA9\"}") &&
           !subq_safetensors_metadata(f, "other"), meta);
    subq_safetensors_close(f);
}

static void test_json(void) {
    char error[128];
    const char *text = " {\"a\": [1, -2.5e3, true, null, \"\\ud83d\\ude00\"], \"b\": {}} ";
    json_value *v = subq_json_parse(text, strlen(text), error, sizeof error);
    const json_value *a = subq_json_get(v, "a");
    int ok = v && a && a->count == 5 && a->items[0].is_integer && a->items[0].integer == 1 &&
             a->items[1].number == -2500.0 && !a->items[1].is_integer && a->items[2].type == JSON_TRUE &&
             !strcmp(a->items[4].string, "\xF0\x9F\x98\x80");
    record("JSON values and surrogate pairs", ok, v ? "" : error);
    subq_json_free(v);
    v = subq_json_parse("1e999", 5, error, sizeof error);
    record("JSON number out of range", !v && strstr(error, "out of range"), error);
    v = subq_json_parse("-", 1, error, sizeof error);
    record("JSON lone minus", !v, error);
    v = subq_json_parse("", 0, error, sizeof error);
    record("JSON empty text", !v && strstr(error, "end of text"), error);
}

int main(void) {
    test_hostile_headers();
    test_lengths();
    test_valid();
    test_json();
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
