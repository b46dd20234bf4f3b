/* A strict JSON (RFC 8259) reader for safetensors headers and model descriptions: UTF-8 only,
 * no comments, no trailing commas, no leading zeros, nesting at most JSON_MAX_DEPTH deep. Any
 * violation is an error that says where (byte offset) and what; never a crash on hostile text. */
#ifndef SUBQ_MODEL_JSON_H
#define SUBQ_MODEL_JSON_H

#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 64

typedef enum json_type { JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_type;

typedef struct json_value {
    json_type type;
    double number;
    /* Set when the number is written as digits only (optional '-') and fits int64: then exact. */
    int is_integer;
    int64_t integer;
    /* Strings: decoded UTF-8, NUL-terminated; length counts bytes (a "\u0000" shows as length > strlen). */
    char *string;
    size_t length;
    /* Arrays and objects: count items; an object's items carry their key (decoded, NUL-terminated). */
    struct json_value *items;
    size_t count;
    char *key;
    size_t key_length;
} json_value;

/* Parse text[0, length) (whitespace around the value allowed, nothing else). NULL on failure with
 * a message in error (always NUL-terminated). Out of memory is reported the same way. */
json_value *subq_json_parse(const char *text, size_t length, char *error, size_t error_size);
void subq_json_free(json_value *value);
/* An object's member called key (the first, if the object repeats it), else NULL. */
const json_value *subq_json_get(const json_value *object, const char *key);
const char *subq_json_type_name(json_type type);

#endif
