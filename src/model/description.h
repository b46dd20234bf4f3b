/* A model description (JSON, as python/subq_torch/model.py reads it) into the module configs the C
 * runtime builds from. Defaults match model.py's; unknown fields and out-of-range values are
 * errors naming the field ("mixer.d_state").
 *
 * "mixer": {"type": "hyena", ...} builds QKVSequenceMixer(Hyena) per block. "mixer": {"type": "s4",
 * "kernel_type": "s4d" | "s4" (required), "d_state": 64, "n_ssm": null (H), "disc": "zoh" | "bilinear"
 * (s4d only), "dt_min": 0.001, "dt_max": 0.1, "l_max": null} (lrnnx's FFTConvS4 defaults) builds the
 * S4 block of state-spaces/s4: y = FFTConvS4(x) + D * x (D [1, C], lrnnx's S4 block's skip), then
 * GELU, output_linear Linear(C, 2C) and GLU (state-spaces' S4Block defaults: activation "gelu",
 * final_act "glu"; lrnnx's port turns the GLU into a GELU and adds a second GELU, which is not
 * followed). FFTConvS4 runs channels-last, channels 1; an image model runs it over the row-major
 * flattened pixels (S4 on sequential images), causal along that order. An "s4" (DPLR) kernel's C
 * holds C~ for l_kernel = l_max, or when l_max is null the longest sequence the description names
 * (max_length; image: H * W). */
#ifndef SUBQ_MODEL_DESCRIPTION_H
#define SUBQ_MODEL_DESCRIPTION_H

#include "subq/hyena.h"
#include "subq/model.h"
#include "subq/s4.h"

typedef enum model_mixer {
    MODEL_MIXER_HYENA = 0,
    MODEL_MIXER_S4,
} model_mixer;

typedef struct model_description {
    subq_model_info info;      /* vocabulary points into the description's own copy */
    double norm_eps;
    model_mixer mixer;         /* every block's */
    subq_hyena_config hyena;   /* mixer "hyena": 1D causal or 2D, hidden_dim C */
    subq_fftconv_s4_config s4; /* mixer "s4": d_model C, (B, L, C), channels 1; l_kernel set for "s4" */
    char *vocabulary;          /* owned; NULL when absent */
    int64_t *vocabulary_offsets; /* vocab_size + 1 byte offsets of each token's character */
} model_description;

subq_status subq_model_description_parse(const char *text, model_description *d);
void subq_model_description_free(model_description *d);

#endif
