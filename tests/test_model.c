/* The model runtime through its C API alone (the sanitizer build runs this; the PyTorch parity of
 * the logits is tests/python/test_model_torch.py): a random 1D model's prefill + steps equal its full
 * forward (Hyena and S4D mixers; S4 DPLR once its kernel has a step), generation is reproducible, 2D
 * models run both heads, bad calls are refused. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "subq/subq.h"

static int passed, failed;

static void record(const char *label, int ok, const char *detail) {
    printf("%s %s%s%s\n", ok ? "ok  " : "FAIL", label, detail && *detail ? ": " : "", detail ? detail : "");
    passed += ok;
    failed += !ok;
}

static const char *LM = "{\"task\":\"causal_lm\",\"hidden_dim\":12,\"layers\":2,\"mlp_hidden\":20,\"vocab_size\":9,"
                        "\"max_length\":16,\"vocabulary\":\"abcdefgh\\u00e9\",\"mixer\":{\"generator_hidden\":8}}";
static const char *IMAGE = "{\"task\":\"image\",\"hidden_dim\":8,\"layers\":1,\"in_channels\":2,\"image_size\":[6,5],"
                           "\"classes\":3,\"head\":\"%s\",\"mixer\":{\"generator_hidden\":8,\"mask\":null}}";
/* %s: the FFTConvS4 kernel type and its fields */
static const char *S4_LM = "{\"task\":\"causal_lm\",\"hidden_dim\":12,\"layers\":2,\"mlp_hidden\":20,\"vocab_size\":9,"
                           "\"max_length\":16,\"mixer\":{\"type\":\"s4\",\"d_state\":6,%s}}";
static const char *S4_IMAGE = "{\"task\":\"image\",\"hidden_dim\":8,\"layers\":2,\"in_channels\":2,\"image_size\":[6,5],"
                              "\"classes\":3,\"head\":\"%s\",\"mixer\":{\"type\":\"s4\",\"kernel_type\":\"s4d\","
                              "\"d_state\":4,\"l_max\":20}}";

static float *download(subq_stream *stream, subq_tensor *t, size_t n) {
    float *v = calloc(n, sizeof *v);
    if (subq_stream_submit(stream) != SUBQ_OK || subq_stream_wait(stream) != SUBQ_OK ||
        subq_tensor_download(t, v, n * sizeof *v) != SUBQ_OK)
        record("download", 0, subq_last_error());
    return v;
}

static double max_difference(const float *a, const float *b, size_t n) {
    double d = 0.0;
    for (size_t i = 0; i < n; i++) d = fmax(d, fabs((double)a[i] - b[i]));
    return d;
}

static void test_incremental(subq_context *ctx, subq_stream *stream, subq_model *model) {
    enum { B = 2, L = 11, P = 4, V = 9 };
    int32_t tokens[B * L];
    for (int i = 0; i < B * L; i++) tokens[i] = (i * 7 + 3) % V;
    subq_tensor *full, *step;
    subq_model_state *state;
    subq_tensor_create(ctx, SUBQ_F32, 3, (int64_t[]){B, L, V}, &full);
    subq_tensor_create(ctx, SUBQ_F32, 2, (int64_t[]){B, V}, &step);
    int ok = subq_model_forward_tokens(stream, model, tokens, B, L, full) == SUBQ_OK &&
             subq_model_state_create(model, B, L, &state) == SUBQ_OK;
    if (!ok) {
        record("forward and state", 0, subq_last_error());
        return;
    }
    float *expected = download(stream, full, B * L * V);
    double worst = 0.0;
    int32_t prompt[B * P], next[B];
    for (int b = 0; b < B; b++) memcpy(prompt + b * P, tokens + b * L, P * sizeof *prompt);
    ok = subq_model_prefill(stream, model, state, prompt, P, step) == SUBQ_OK;
    for (int t = P - 1; ok && t < L; t++) {
        if (t >= P) {
            for (int b = 0; b < B; b++) next[b] = tokens[b * L + t];
            ok = subq_model_step(stream, model, state, next, step) == SUBQ_OK;
        }
        float *got = download(stream, step, B * V);
        for (int b = 0; ok && b < B; b++) worst = fmax(worst, max_difference(got + b * V, expected + (b * L + t) * V, V));
        free(got);
    }
    char detail[64];
    snprintf(detail, sizeof detail, "max difference %.2e", worst);
    record("prefill + steps = full forward", ok && worst < 1e-4 && subq_model_state_length(state) == L,
           ok ? detail : subq_last_error());
    record("step past max_length", subq_model_step(stream, model, state, next, step) == SUBQ_ERROR_INVALID_ARGUMENT,
           subq_last_error());
    subq_model_state_destroy(state);
    subq_model_state_create(model, 1, 8, &state);
    int32_t out[2][6];
    int64_t made[2];
    subq_generate_options sampled = {.temperature = 0.7f, .top_k = 4, .seed = 11};
    ok = subq_model_generate(stream, model, state, prompt, 3, 6, &sampled, out[0], &made[0]) == SUBQ_OK &&
         subq_model_generate(stream, model, state, prompt, 3, 6, &sampled, out[1], &made[1]) == SUBQ_OK;
    record("sampled generation is reproducible", ok && made[0] == 6 && !memcmp(out[0], out[1], sizeof out[0]),
           ok ? "" : subq_last_error());
    record("generation past the state", subq_model_generate(stream, model, state, prompt, 3, 7, NULL, out[0], &made[0]) ==
           SUBQ_ERROR_INVALID_ARGUMENT, subq_last_error());
    subq_model_state_destroy(state);
    tokens[3] = V;
    record("token out of range", subq_model_forward_tokens(stream, model, tokens, B, L, full) ==
           SUBQ_ERROR_INVALID_ARGUMENT && strstr(subq_last_error(), "tokens"), subq_last_error());
    record("logits of the wrong shape", subq_model_forward_tokens(stream, model, tokens, B, L - 1, full) ==
           SUBQ_ERROR_INVALID_ARGUMENT && strstr(subq_last_error(), "logits"), subq_last_error());
    free(expected);
    subq_tensor_destroy(full);
    subq_tensor_destroy(step);
}

static void test_image(subq_context *ctx, subq_stream *stream, const char *format, const char *head, int per_pixel) {
    char description[512];
    snprintf(description, sizeof description, format, head);
    subq_model *model;
    if (subq_model_create(ctx, description, &model) != SUBQ_OK) {
        record("image model", 0, subq_last_error());
        return;
    }
    float pixels_host[2 * 6 * 5 * 2];
    for (int i = 0; i < 2 * 6 * 5 * 2; i++) pixels_host[i] = (float)((i * 37) % 11) / 11.0f - 0.4f;
    subq_tensor *pixels, *logits;
    subq_tensor_create(ctx, SUBQ_F32, 4, (int64_t[]){2, 6, 5, 2}, &pixels);
    subq_tensor_upload(pixels, pixels_host, sizeof pixels_host);
    int64_t shape[4] = {2, 6, 5, 3}, classify[2] = {2, 3};
    subq_tensor_create(ctx, SUBQ_F32, per_pixel ? 4 : 2, per_pixel ? shape : classify, &logits);
    int ok = subq_model_forward(stream, model, pixels, logits) == SUBQ_OK;
    size_t n = per_pixel ? 2 * 6 * 5 * 3 : 2 * 3;
    float *v = ok ? download(stream, logits, n) : NULL;
    for (size_t i = 0; ok && i < n; i++) ok = isfinite(v[i]);
    char label[64];
    snprintf(label, sizeof label, "image model (%s), head %s", format == IMAGE ? "Hyena" : "S4D", head);
    record(label, ok, ok ? "" : subq_last_error());
    record("image model refuses tokens", subq_model_forward_tokens(stream, model, (int32_t[]){0}, 1, 1, logits) ==
           SUBQ_ERROR_INVALID_ARGUMENT, subq_last_error());
    free(v);
    subq_tensor_destroy(pixels);
    subq_tensor_destroy(logits);
    subq_model_destroy(model);
}

/* An S4 language model: incremental = full forward. */
static void test_s4_lm(subq_context *ctx, subq_stream *stream, const char *fields) {
    char description[512];
    snprintf(description, sizeof description, S4_LM, fields);
    subq_model *model;
    if (subq_model_create(ctx, description, &model) != SUBQ_OK) {
        record(fields, 0, subq_last_error());
        return;
    }
    subq_model_state *state;
    subq_tensor *logits;
    int32_t tokens[3] = {1, 5, 2};
    subq_tensor_create(ctx, SUBQ_F32, 2, (int64_t[]){1, 9}, &logits);
    subq_model_state_create(model, 1, 4, &state);
    subq_status status = subq_model_prefill(stream, model, state, tokens, 3, logits);
    record(fields, status == SUBQ_OK, status == SUBQ_OK ? "prefill" : subq_last_error());
    if (status == SUBQ_OK) test_incremental(ctx, stream, model);
    subq_model_state_destroy(state);
    subq_tensor_destroy(logits);
    subq_model_destroy(model);
}

int main(void) {
    subq_context *ctx;
    subq_stream *stream;
    if (subq_context_create(NULL, &ctx) != SUBQ_OK || subq_stream_create(ctx, &stream) != SUBQ_OK) {
        printf("FAIL context: %s\n", subq_last_error());
        return 1;
    }
    subq_model *model;
    if (subq_model_create(ctx, LM, &model) == SUBQ_OK) {
        subq_model_info info;
        subq_model_get_info(model, &info);
        record("info", info.layers == 2 && info.vocab_size == 9 && !strcmp(info.vocabulary, "abcdefgh\xC3\xA9") &&
               isnan(info.validation_loss), "");
        test_incremental(ctx, stream, model);
        subq_model_destroy(model);
    } else {
        record("create a 1D model", 0, subq_last_error());
    }
    test_image(ctx, stream, IMAGE, "classify", 0);
    test_image(ctx, stream, IMAGE, "pixel", 1);
    test_image(ctx, stream, S4_IMAGE, "classify", 0);
    test_image(ctx, stream, S4_IMAGE, "pixel", 1);
    test_s4_lm(ctx, stream, "\"kernel_type\":\"s4d\"");
    test_s4_lm(ctx, stream, "\"kernel_type\":\"s4d\",\"disc\":\"bilinear\",\"n_ssm\":3,\"l_max\":12");
    test_s4_lm(ctx, stream, "\"kernel_type\":\"s4\"");
    record("bad S4 description", subq_model_create(ctx, "{\"task\":\"causal_lm\",\"hidden_dim\":4,\"layers\":1,"
           "\"vocab_size\":3,\"max_length\":8,\"mixer\":{\"type\":\"s4\",\"kernel_type\":\"s4d\",\"d_state\":5}}",
           &model) == SUBQ_ERROR_INVALID_ARGUMENT && strstr(subq_last_error(), "mixer.d_state"), subq_last_error());
    record("bad description", subq_model_create(ctx, "{\"task\":\"causal_lm\"}", &model) == SUBQ_ERROR_INVALID_ARGUMENT &&
           strstr(subq_last_error(), "hidden_dim"), subq_last_error());
    record("missing model file", subq_model_load(ctx, "/nonexistent.safetensors", &model) == SUBQ_ERROR_IO,
           subq_last_error());
    if (subq_context_validation_message_count(ctx)) record("validation messages", 0, "");
    subq_stream_destroy(stream);
    subq_context_destroy(ctx);
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
