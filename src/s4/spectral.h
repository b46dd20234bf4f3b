/* The FFT side of the lrnnx family: strided real or complex signals to split-complex spectra
 * (VkFFT R2C through fft_plan.h, per part), contractions between spectra (s4_contract.comp), and
 * back (C2R). A complex signal is two real rows, re and im; every spectrum is dense
 * [A, I, P, F/2 + 1, 2] with rows (a, i, part), part fastest. Temporaries come from a workspace. */
#ifndef SUBQ_S4_SPECTRAL_H
#define SUBQ_S4_SPECTRAL_H

#include "runtime/runtime.h"

/* Numbered buffers of a workspace: one per role in a call (S4_SLOT_OUTPUT: an f32 output that a
 * 16-bit one receives once, rounded, when more than one pass adds into it). */
enum { S4_SLOT_X, S4_SLOT_W, S4_SLOT_U, S4_SLOT_V, S4_SLOT_Y, S4_SLOT_TIME_A, S4_SLOT_TIME_B, S4_SLOT_WEIGHT_IN,
       S4_SLOT_WEIGHT_OUT, S4_SLOT_OUTPUT, S4_SLOTS };

/* A dense f32 tensor of this shape backed by the slot's buffer (grown when too small); the view
 * is the workspace's to release. */
subq_status s4_workspace_tensor(subq_lrnnx_workspace *ws, int slot, int rank, const int64_t *shape,
                                subq_tensor **tensor);
subq_context *s4_workspace_context(const subq_lrnnx_workspace *ws);

/* Signals as rows: element (a, i, part, t) at first + a*stride_a + i*stride_i + part*stride_part +
 * t*stride_t of tensor (in elements from the tensor's first one; tensor f32, f16 or bf16). */
typedef struct s4_signals {
    const subq_tensor *tensor;
    int64_t outer, inner, parts, length;
    int64_t stride_a, stride_i, stride_part, stride_t;
} s4_signals;

/* spectrum [outer, inner, parts, fft/2 + 1, 2] of the signals zero-padded or cut to fft points. */
subq_status s4_spectra(subq_stream *stream, const s4_signals *signals, int64_t fft, subq_tensor *spectrum);

typedef enum s4_contract_mode {
    S4_CONTRACT_SPECTRAL = 0, /* Y[a,o] = sum_i X[a,i] W[o,i](f), W [O, I, Pw, F, 2] */
    S4_CONTRACT_SCALAR = 1,   /* Y[a,o] = sum_i X[a,i] W[o,i], W [O, I, Pw] real numbers per part (the
                                 caller's projection: f32, f16 or bf16) */
    S4_CONTRACT_DIAGONAL = 2, /* Y[a,o] = X[a,o] W[o](f), W [O, Pw, F, 2] */
} s4_contract_mode;

typedef struct s4_contraction {
    s4_contract_mode mode;
    const subq_tensor *x, *w;
    int64_t outer, in_dim, out_dim, x_parts, w_parts, points;
} s4_contraction;

/* Y [outer, out_dim, y_parts, points, 2], y_parts = 2 if either side has 2 parts. */
int64_t s4_contract_parts(const s4_contraction *c);
subq_status s4_contract(subq_stream *stream, const s4_contraction *c, subq_tensor *y);

/* The inverse of spectrum [outer, inner, parts, fft/2 + 1, 2] (times 1/fft), points t < length of
 * each signal to dst (dst->parts unused; its strides place re, and im at + 1 if complex_out; dst
 * f32, f16 or bf16). */
subq_status s4_inverse(subq_stream *stream, const subq_tensor *spectrum, int64_t parts, int64_t fft,
                       const s4_signals *dst, bool complex_out);

/* A dispatch of a 1D grid of `invocations` with constant_id 0 the workgroup width. */
subq_status s4_dispatch(subq_stream *stream, const subq_shader *shader, uint32_t spec1, uint32_t bindings,
                        const subq_arg *args, const void *push, uint32_t push_bytes, uint64_t invocations);
/* As s4_dispatch, for a shader that reads or writes the caller's tensors through dtype.glsl (its
 * constant_id 2 is DTYPES over the bindings): wide, its 16-bit build, when an argument is f16 or
 * bf16. */
subq_status s4_dispatch_typed(subq_stream *stream, const subq_shader *plain, const subq_shader *wide, uint32_t spec1,
                              uint32_t bindings, const subq_arg *args, const void *push, uint32_t push_bytes,
                              uint64_t invocations);

#endif
