/* The module side of subq_parameters (include/subq/parameters.h): a module creates its table, adds
 * its own tensors, attaches its inner modules' tables, and compares versions to know when weights
 * changed under a cached kernel or spectrum. */
#ifndef SUBQ_MODULES_PARAMETERS_H
#define SUBQ_MODULES_PARAMETERS_H

#include "modules/random.h"
#include "runtime/runtime.h"

subq_status subq_parameters_create(subq_context *ctx, subq_parameters **parameters);
/* Frees the table and the tensors it added; attached tables belong to their own modules. */
void subq_parameters_destroy(subq_parameters *parameters);
/* A new dense f32 parameter, owned by the table; *tensor stays valid until the table is destroyed. */
subq_status subq_parameters_add(subq_parameters *parameters, const char *name, int rank, const int64_t *shape,
                                subq_tensor **tensor);
/* Show every parameter of child (complete by now) as "prefix.<its name>". */
subq_status subq_parameters_attach(subq_parameters *parameters, const char *prefix, subq_parameters *child);
/* Changes whenever one of this table's own parameters is loaded or initialised. */
uint64_t subq_parameters_version(const subq_parameters *parameters);

/* Initialisers, as torch.nn.init's: U(low, high), N(mean, std), a constant. */
subq_status subq_parameters_init_uniform(subq_parameters *parameters, const char *name, subq_random *random,
                                         double low, double high);
subq_status subq_parameters_init_normal(subq_parameters *parameters, const char *name, subq_random *random,
                                        double mean, double std);
subq_status subq_parameters_init_constant(subq_parameters *parameters, const char *name, double value);

#endif
