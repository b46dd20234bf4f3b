#include "model/json.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct parser {
    const unsigned char *text;
    size_t length, at;
    char *error;
    size_t error_size;
    int failed;
} parser;

static int fail(parser *p, const char *format, ...) __attribute__((format(printf, 2, 3)));

static int fail(parser *p, const char *format, ...) {
    if (p->failed) return 0;
    p->failed = 1;
    int n = snprintf(p->error, p->error_size, "JSON at byte %zu: ", p->at);
    if (n >= 0 && (size_t)n < p->error_size) {
        va_list args;
        va_start(args, format);
        vsnprintf(p->error + n, p->error_size - (size_t)n, format, args);
        va_end(args);
    }
    return 0;
}

static void skip_space(parser *p) {
    while (p->at < p->length) {
        unsigned char c = p->text[p->at];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->at++;
    }
}

static int peek(const parser *p) { return p->at < p->length ? p->text[p->at] : -1; }

static void free_contents(json_value *v) {
    for (size_t i = 0; i < v->count; i++) {
        free_contents(&v->items[i]);
        free(v->items[i].key);
    }
    free(v->items);
    free(v->string);
}

void subq_json_free(json_value *value) {
    if (!value) return;
    free_contents(value);
    free(value);
}

/* A growable byte buffer for decoded strings. */
typedef struct bytes {
    char *data;
    size_t length, capacity;
} bytes;

static int put(parser *p, bytes *b, const char *s, size_t n) {
    if (b->length + n + 1 > b->capacity) {
        size_t capacity = b->capacity ? b->capacity : 16;
        while (capacity < b->length + n + 1) capacity *= 2;
        char *grown = realloc(b->data, capacity);
        if (!grown) return fail(p, "out of host memory");
        b->data = grown;
        b->capacity = capacity;
    }
    memcpy(b->data + b->length, s, n);
    b->length += n;
    b->data[b->length] = 0;
    return 1;
}

static int utf8_encode(uint32_t cp, char out[4]) {
    if (cp < 0x80) return out[0] = (char)cp, 1;
    if (cp < 0x800) return out[0] = (char)(0xC0 | cp >> 6), out[1] = (char)(0x80 | (cp & 0x3F)), 2;
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12), out[1] = (char)(0x80 | ((cp >> 6) & 0x3F)), out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18), out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Length of the well-formed UTF-8 sequence at s (no overlongs, no surrogates, <= U+10FFFF), else 0. */
static size_t utf8_valid(const unsigned char *s, size_t available) {
    unsigned char c = s[0];
    size_t n = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (n == 0 || n > available) return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    if (c == 0xE0 && s[1] < 0xA0) return 0; /* overlong */
    if (c == 0xED && s[1] > 0x9F) return 0; /* surrogate */
    if (c == 0xF0 && s[1] < 0x90) return 0; /* overlong */
    if (c == 0xF4 && s[1] > 0x8F) return 0; /* above U+10FFFF */
    return n;
}

static int hex4(parser *p, uint32_t *out) {
    if (p->length - p->at < 4) return fail(p, "\\u needs four hex digits");
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = p->text[p->at++];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return fail(p, "\\u needs four hex digits");
        v = v * 16 + (uint32_t)d;
    }
    *out = v;
    return 1;
}

static int escape(parser *p, bytes *b) {
    if (p->at >= p->length) return fail(p, "unterminated string");
    unsigned char c = p->text[p->at++];
    const char *simple = strchr("\"\\/bfnrt", c);
    if (c && simple) {
        static const char decoded[] = "\"\\/\b\f\n\r\t";
        return put(p, b, &decoded[simple - "\"\\/bfnrt"], 1);
    }
    if (c != 'u') return fail(p, "unknown escape \\%c", c >= 0x20 && c < 0x7F ? c : '?');
    uint32_t cp, low;
    if (!hex4(p, &cp)) return 0;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return fail(p, "lone low surrogate \\u%04X", (unsigned)cp);
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (p->length - p->at < 2 || p->text[p->at] != '\\' || p->text[p->at + 1] != 'u')
            return fail(p, "high surrogate \\u%04X without its low half", (unsigned)cp);
        p->at += 2;
        if (!hex4(p, &low)) return 0;
        if (low < 0xDC00 || low > 0xDFFF) return fail(p, "high surrogate followed by \\u%04X", (unsigned)low);
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    char out[4];
    return put(p, b, out, (size_t)utf8_encode(cp, out));
}

static int string(parser *p, char **out, size_t *out_length) {
    bytes b = {0};
    p->at++; /* the opening quote */
    if (!put(p, &b, "", 0)) return 0;
    for (;;) {
        if (p->at >= p->length) {
            free(b.data);
            return fail(p, "unterminated string");
        }
        unsigned char c = p->text[p->at];
        int ok;
        if (c == '"') {
            p->at++;
            break;
        } else if (c == '\\') {
            p->at++;
            ok = escape(p, &b);
        } else if (c < 0x20) {
            ok = fail(p, "control character 0x%02X in a string", c);
        } else {
            size_t n = utf8_valid(p->text + p->at, p->length - p->at);
            ok = n ? put(p, &b, (const char *)p->text + p->at, n) : fail(p, "invalid UTF-8 in a string");
            p->at += n;
        }
        if (!ok) {
            free(b.data);
            return 0;
        }
    }
    *out = b.data;
    *out_length = b.length;
    return 1;
}

static int digits(parser *p) {
    size_t start = p->at;
    while (p->at < p->length && p->text[p->at] >= '0' && p->text[p->at] <= '9') p->at++;
    return p->at > start;
}

static int number(parser *p, json_value *v) {
    size_t start = p->at;
    int integer = 1;
    if (peek(p) == '-') p->at++;
    if (peek(p) == '0') {
        p->at++;
        if (peek(p) >= '0' && peek(p) <= '9') return fail(p, "leading zero in a number");
    } else if (!digits(p)) {
        return fail(p, "expected a digit");
    }
    if (peek(p) == '.') {
        p->at++;
        integer = 0;
        if (!digits(p)) return fail(p, "expected a digit after '.'");
    }
    if (peek(p) == 'e' || peek(p) == 'E') {
        p->at++;
        integer = 0;
        if (peek(p) == '+' || peek(p) == '-') p->at++;
        if (!digits(p)) return fail(p, "expected a digit in the exponent");
    }
    char buffer[64];
    size_t n = p->at - start;
    if (n >= sizeof buffer) integer = 0;
    char *copy = n < sizeof buffer ? buffer : malloc(n + 1);
    if (!copy) return fail(p, "out of host memory");
    memcpy(copy, p->text + start, n);
    copy[n] = 0;
    v->type = JSON_NUMBER;
    v->number = strtod(copy, NULL);
    if (integer) {
        errno = 0;
        long long i = strtoll(copy, NULL, 10);
        v->is_integer = errno == 0;
        v->integer = i;
    }
    if (copy != buffer) free(copy);
    if (!isfinite(v->number)) return fail(p, "number out of range");
    return 1;
}

static int value(parser *p, json_value *v, int depth);

static int append_item(parser *p, json_value *v, const json_value *item, size_t *capacity) {
    if (v->count == *capacity) {
        size_t grown_capacity = *capacity ? 2 * *capacity : 4;
        json_value *grown = realloc(v->items, grown_capacity * sizeof *grown);
        if (!grown) return fail(p, "out of host memory");
        v->items = grown;
        *capacity = grown_capacity;
    }
    v->items[v->count++] = *item;
    return 1;
}

/* Arrays and objects share the loop: items separated by commas until the closing bracket. */
static int container(parser *p, json_value *v, int depth) {
    int object = p->text[p->at] == '{';
    char close = object ? '}' : ']';
    if (depth >= JSON_MAX_DEPTH) return fail(p, "nested deeper than %d levels", JSON_MAX_DEPTH);
    v->type = object ? JSON_OBJECT : JSON_ARRAY;
    p->at++;
    skip_space(p);
    if (peek(p) == close) {
        p->at++;
        return 1;
    }
    size_t capacity = 0;
    for (;;) {
        json_value item = {0};
        skip_space(p);
        if (object) {
            if (peek(p) != '"') return fail(p, "expected a member name (a string)");
            if (!string(p, &item.key, &item.key_length)) return 0;
            skip_space(p);
            if (peek(p) != ':') {
                free(item.key);
                return fail(p, "expected ':' after a member name");
            }
            p->at++;
        }
        int ok = value(p, &item, depth + 1) && append_item(p, v, &item, &capacity);
        if (!ok) {
            free_contents(&item);
            free(item.key);
            return 0;
        }
        skip_space(p);
        int c = peek(p);
        p->at += c >= 0;
        if (c == close) return 1;
        if (c != ',') return fail(p, "expected ',' or '%c'", close);
    }
}

static int literal(parser *p, const char *word, json_type type, json_value *v) {
    size_t n = strlen(word);
    if (p->length - p->at < n || memcmp(p->text + p->at, word, n) != 0) return fail(p, "unexpected character");
    p->at += n;
    v->type = type;
    return 1;
}

static int value(parser *p, json_value *v, int depth) {
    skip_space(p);
    switch (peek(p)) {
    case -1: return fail(p, "unexpected end of text");
    case '{':
    case '[': return container(p, v, depth);
    case '"': v->type = JSON_STRING; return string(p, &v->string, &v->length);
    case 't': return literal(p, "true", JSON_TRUE, v);
    case 'f': return literal(p, "false", JSON_FALSE, v);
    case 'n': return literal(p, "null", JSON_NULL, v);
    default: return number(p, v);
    }
}

json_value *subq_json_parse(const char *text, size_t length, char *error, size_t error_size) {
    char fallback[1];
    parser p = {(const unsigned char *)text, length, 0, error_size ? error : fallback, error_size ? error_size : 1, 0};
    p.error[0] = 0;
    json_value *v = calloc(1, sizeof *v);
    if (!v) {
        fail(&p, "out of host memory");
        return NULL;
    }
    if (value(&p, v, 0)) {
        skip_space(&p);
        if (p.at == p.length) return v;
        fail(&p, "text after the value");
    }
    subq_json_free(v);
    return NULL;
}

const json_value *subq_json_get(const json_value *object, const char *key) {
    if (!object || object->type != JSON_OBJECT) return NULL;
    size_t n = strlen(key);
    for (size_t i = 0; i < object->count; i++)
        if (object->items[i].key_length == n && memcmp(object->items[i].key, key, n) == 0) return &object->items[i];
    return NULL;
}

const char *subq_json_type_name(json_type type) {
    static const char *names[] = {"null", "false", "true", "a number", "a string", "an array", "an object"};
    return type <= JSON_OBJECT ? names[type] : "?";
}
