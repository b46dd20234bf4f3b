/* A model description (JSON, as python/subq_torch/model.py reads it) into the module configs the C
 * runtime builds from. Defaults match model.py's; unknown fields and out-of-range values are
 * errors naming the field. */
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
