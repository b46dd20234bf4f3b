/* FFTConvS4's insides, shared by its files: the configuration with defaults resolved, the
 * parameters, the cached kernel and its spectra, and the step coefficients. */
#ifndef SUBQ_MODULES_FFTCONV_S4_H
#define SUBQ_MODULES_FFTCONV_S4_H

#include "fft/fft_kernel.h"
#include "modules/parameters.h"
#include "s4/spectral.h"

struct subq_fftconv_s4 {
    subq_context *ctx;
    subq_fftconv_s4_config cfg; /* defaults filled in */
    int64_t n2;                 /* complex modes: d_state / 2 */
    subq_parameters *params, *kernel_params;
    subq_tensor *a_real, *a_imag, *b, *c, *p, *inv_dt;
    subq_lrnnx_workspace *ws;
    subq_tensor *unused; /* bound where a mode of s4d_state.comp leaves a writable binding unused */
    /* the kernel [C, H, lk] and one spectrum per channel, for (length, lk, rate, version) */
    subq_tensor *k;
    subq_fft_kernel **spectra;
    int64_t length, lk;
    double rate;
    uint64_t version;
    /* setup_step's (dA, dB) [H, N2, 4], for the weights of step_version */
    subq_tensor *coeffs;
    uint64_t step_version;
    bool step_ready;
};

/* Release the cached kernel and its spectra (a forward of another shape follows). */
void s4_release_kernel(subq_fftconv_s4 *m);

/* The S4D kernel (s4d_kernel.comp) or the S4 DPLR kernel (s4_dplr.comp + C2R) into m->k. */
subq_status s4_kernel_generate(subq_stream *stream, subq_fftconv_s4 *m, double rate);

/* s4d_state.comp's push constants and its ten bindings for one mode. */
enum { S4D_SETUP = 0, S4D_STATE_RESPONSE, S4D_FORWARD_STATE, S4D_STEP };
typedef struct s4d_state_push {
    uint32_t first[5];
    uint32_t n2, n_ssm, h, channels, len, bilinear, batch;
    uint32_t x_first, x_stride_b, x_stride_h, x_stride_l;
    uint32_t state_first, coeffs_first, out_first, y_first;
    float rate;
} s4d_state_push;

s4d_state_push s4d_push(const subq_fftconv_s4 *m, float rate);
subq_status s4d_state_dispatch(subq_stream *stream, const subq_fftconv_s4 *m, uint32_t mode,
                               const s4d_state_push *p, const subq_tensor *x, const subq_tensor *state,
                               const subq_tensor *coeffs, subq_tensor *out, subq_tensor *y, uint64_t invocations);

#endif
