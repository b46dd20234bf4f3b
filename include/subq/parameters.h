/* A module's parameters: named f32 device tensors, named as the PyTorch module's state_dict names
 * them ("global_conv.shortcut", "qkv_proj.weight", ...), so that a checkpoint loads name by name.
 * Every module (CKConvND, Hyena, QKVSequenceMixer, FFTConvS4, ...) hands out its table with
 * subq_<module>_parameters(); a module holding another module shows the inner one's parameters
 * under its attribute name ("mixer.global_conv.shortcut"). Included by subq.h. */
#ifndef SUBQ_PARAMETERS_H
#define SUBQ_PARAMETERS_H
#include "subq/subq.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef struct subq_parameters subq_parameters;

typedef struct subq_parameter_info {
    const char *name; /* valid while the module lives */
    int32_t rank;
    int64_t shape[SUBQ_MAX_RANK];
    int64_t numel;
} subq_parameter_info;

/* Parameters in a fixed order: the module's own in declaration order, then each inner module's. */
int32_t subq_parameters_count(const subq_parameters *parameters);
subq_status subq_parameters_info(const subq_parameters *parameters, int32_t index, subq_parameter_info *info);
/* Index of the parameter called name; SUBQ_ERROR_INVALID_ARGUMENT naming it when there is none. */
subq_status subq_parameters_find(const subq_parameters *parameters, const char *name, int32_t *index);
/* Upload numel f32 values in row-major order (count must equal numel). Synchronous. Modules see the
 * change at their next forward (cached kernels and spectra are recomputed). */
subq_status subq_parameters_load(subq_parameters *parameters, const char *name, const float *values, int64_t count);
/* Download numel f32 values. Synchronous. */
subq_status subq_parameters_read(const subq_parameters *parameters, const char *name, float *values, int64_t count);

#ifdef __cplusplus
}
#endif
#endif
