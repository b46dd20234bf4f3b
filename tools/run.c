/* subq run / subq generate: load a model file (default: the shipped KJV character model), run it on
 * the chosen device, print the output as it comes, the device and the speed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "subq/subq.h"

#define SHIPPED_MODEL "models/kjv_charlm.safetensors"

typedef struct run_options {
    const char *model, *prompt;
    int64_t tokens;
    float temperature;
    int32_t top_k;
    uint64_t seed;
} run_options;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static const char *default_model(void) {
    const char *env = getenv("SUBQ_MODEL");
    if (env && *env) return env;
    if (access(SHIPPED_MODEL, R_OK) == 0) return SHIPPED_MODEL;
    return SUBQ_SOURCE_DIR "/" SHIPPED_MODEL;
}

static int usage(const char *name) {
    fprintf(stderr, "usage: subq %s [--model FILE] [--prompt TEXT] [--tokens N] [--temperature T | --greedy]\n"
                    "       [--top-k K] [--seed S]\n"
                    "  defaults: the shipped model (%s), its prompt, 300 tokens, temperature 0.8, seed 0\n",
            name, SHIPPED_MODEL);
    return 2;
}

static int parse(int argc, char **argv, run_options *o) {
    *o = (run_options){default_model(), "And God said, ", 300, 0.8f, 0, 0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (!strcmp(a, "--greedy")) {
            o->temperature = 0.0f;
            continue;
        }
        if (!v) return usage(argv[0]);
        i++;
        if (!strcmp(a, "--model")) o->model = v;
        else if (!strcmp(a, "--prompt")) o->prompt = v;
        else if (!strcmp(a, "--tokens")) o->tokens = strtoll(v, &end, 10);
        else if (!strcmp(a, "--temperature")) o->temperature = strtof(v, &end);
        else if (!strcmp(a, "--top-k")) o->top_k = (int32_t)strtol(v, &end, 10);
        else if (!strcmp(a, "--seed")) o->seed = strtoull(v, &end, 10);
        else return usage(argv[0]);
        if (end && *end) return usage(argv[0]);
    }
    if (o->tokens < 1 || o->temperature < 0.0f || o->top_k < 0) return usage(argv[0]);
    return 0;
}

/* Characters of the prompt as token ids of the model's vocabulary (one UTF-8 character each). */
static int64_t encode(const char *vocabulary, int64_t vocab_size, const char *text, int32_t *tokens) {
    int64_t n = 0;
    for (const char *p = text; *p;) {
        size_t len = 1;
        while (p[len] && ((unsigned char)p[len] & 0xC0) == 0x80) len++;
        int32_t id = -1, index = 0;
        for (const char *v = vocabulary; *v && index < vocab_size; index++) {
            size_t vlen = 1;
            while (v[vlen] && ((unsigned char)v[vlen] & 0xC0) == 0x80) vlen++;
            if (vlen == len && !memcmp(v, p, len)) id = index;
            v += vlen;
        }
        if (id < 0) {
            fprintf(stderr, "subq: the prompt's character '%.*s' is not in the model's vocabulary\n", (int)len, p);
            return -1;
        }
        tokens[n++] = id;
        p += len;
    }
    return n;
}

static void print_token(const char *vocabulary, int32_t token) {
    const char *v = vocabulary;
    for (int32_t i = 0; i < token && *v; i++) {
        v++;
        while (*v && ((unsigned char)*v & 0xC0) == 0x80) v++;
    }
    size_t len = 1;
    while (v[len] && ((unsigned char)v[len] & 0xC0) == 0x80) len++;
    fwrite(v, 1, len, stdout);
}

typedef struct progress {
    const char *vocabulary;
    double first; /* time of the first generated token */
} progress;

static int on_token(void *user, int64_t index, int32_t token) {
    progress *p = user;
    if (index == 0) p->first = now();
    print_token(p->vocabulary, token);
    fflush(stdout);
    return 0;
}

static int fail(const char *what) {
    fprintf(stderr, "subq: %s: %s\n", what, subq_last_error());
    return 1;
}

static int generate(subq_context *ctx, subq_model *model, const subq_model_info *info, const run_options *o) {
    int32_t *prompt = malloc((strlen(o->prompt) + 1) * sizeof *prompt), *out = malloc((size_t)o->tokens * sizeof *out);
    int64_t n = prompt && out ? encode(info->vocabulary, info->vocab_size, o->prompt, prompt) : -1;
    subq_stream *stream = NULL;
    subq_model_state *state = NULL;
    int rc = 1;
    if (n == 0) fprintf(stderr, "subq: --prompt must not be empty\n");
    if (n < 1) goto done;
    if (subq_stream_create(ctx, &stream) != SUBQ_OK) {
        rc = fail("stream");
        goto done;
    }
    if (subq_model_state_create(model, 1, n + o->tokens, &state) != SUBQ_OK) {
        rc = fail("state");
        goto done;
    }
    printf("prompt: %s\n\n%s", o->prompt, o->prompt);
    fflush(stdout);
    progress p = {info->vocabulary, 0.0};
    subq_generate_options g = {.temperature = o->temperature, .top_k = o->top_k, .seed = o->seed,
                               .on_token = on_token, .user = &p};
    int64_t made = 0;
    double start = now();
    if (subq_model_generate(stream, model, state, prompt, n, o->tokens, &g, out, &made) != SUBQ_OK) {
        printf("\n");
        rc = fail("generate");
        goto done;
    }
    double end = now();
    printf("\n\nprefill %lld tokens in %.1f ms; generated %lld tokens in %.2f s: %.1f tokens/s (%s)\n", (long long)n,
           1e3 * (p.first - start), (long long)made, end - p.first,
           made > 1 ? (double)(made - 1) / (end - p.first) : 0.0,
           o->temperature > 0.0f ? "sampled" : "greedy");
    rc = 0;
done:
    subq_model_state_destroy(state);
    subq_stream_destroy(stream);
    free(prompt);
    free(out);
    return rc;
}

/* An image model: random pixels through the forward pass, timed. */
static int classify(subq_context *ctx, subq_model *model, const subq_model_info *info, const run_options *o) {
    int64_t b = 8, h = info->image_size[0], w = info->image_size[1], cin = info->in_channels, k = info->classes;
    int64_t pixels_shape[4] = {b, h, w, cin}, logits_shape[4] = {b, h, w, k}, classify_shape[2] = {b, k};
    subq_tensor *pixels = NULL, *logits = NULL;
    subq_stream *stream = NULL;
    float *values = malloc((size_t)(b * h * w * cin) * sizeof *values);
    srand((unsigned)o->seed);
    for (int64_t i = 0; values && i < b * h * w * cin; i++) values[i] = (float)rand() / (float)RAND_MAX;
    int ok = values && subq_stream_create(ctx, &stream) == SUBQ_OK &&
             subq_tensor_create(ctx, SUBQ_F32, 4, pixels_shape, &pixels) == SUBQ_OK &&
             subq_tensor_upload(pixels, values, (size_t)(b * h * w * cin) * sizeof *values) == SUBQ_OK &&
             subq_tensor_create(ctx, SUBQ_F32, info->per_pixel ? 4 : 2, info->per_pixel ? logits_shape : classify_shape,
                                &logits) == SUBQ_OK;
    double start = now(), end = start;
    for (int i = 0; ok && i < 3; i++) {
        start = end;
        ok = subq_model_forward(stream, model, pixels, logits) == SUBQ_OK && subq_stream_submit(stream) == SUBQ_OK &&
             subq_stream_wait(stream) == SUBQ_OK;
        end = now();
    }
    int rc = ok ? 0 : fail("forward");
    if (ok) printf("forward of %lld random %lldx%lld images: %.1f ms (%.1f images/s)\n", (long long)b, (long long)h,
                   (long long)w, 1e3 * (end - start), (double)b / (end - start));
    subq_tensor_destroy(pixels);
    subq_tensor_destroy(logits);
    subq_stream_destroy(stream);
    free(values);
    return rc;
}

int command_run(int argc, char **argv) {
    run_options o;
    if (parse(argc, argv, &o)) return 2;
    subq_context *ctx = NULL;
    subq_model *model = NULL;
    subq_device_info device;
    if (subq_context_create(NULL, &ctx) != SUBQ_OK) return fail("context");
    subq_context_get_device_info(ctx, &device);
    if (subq_model_load(ctx, o.model, &model) != SUBQ_OK) {
        int rc = fail(o.model);
        subq_context_destroy(ctx);
        return rc;
    }
    subq_model_info info;
    subq_model_get_info(model, &info);
    const char *mixer = !strcmp(info.mixer, "s4d") ? "S4D" : !strcmp(info.mixer, "s4") ? "S4" : "Hyena";
    printf("device: %s\nmodel:  %s: %s (%s%s), %lld blocks, %lld channels, %lld parameters", device.name, o.model,
           info.task == SUBQ_MODEL_CAUSAL_LM ? "character language model" : "image model",
           info.task == SUBQ_MODEL_IMAGE && !strcmp(mixer, "Hyena") ? "2D " : "", mixer, (long long)info.layers,
           (long long)info.hidden_dim, (long long)info.parameter_count);
    if (!isnan(info.validation_loss)) printf(", validation loss %.4f nats/token", info.validation_loss);
    printf("\n");
    int rc;
    if (info.task == SUBQ_MODEL_IMAGE) rc = classify(ctx, model, &info, &o);
    else if (info.vocabulary) rc = generate(ctx, model, &info, &o);
    else rc = 1, fprintf(stderr, "subq: the model has no vocabulary to read a prompt with\n");
    subq_model_destroy(model);
    subq_context_destroy(ctx);
    return rc;
}
