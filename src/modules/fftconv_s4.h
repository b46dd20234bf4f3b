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
    /* setup_step's coefficients for the weights of step_version: S4D (dA, dB) [H, N2, 4]; S4
     * (D, E, R, P, B) [H, N2, 10] and dC [C, H, N2, 2] */
    subq_tensor *coeffs, *dc;
    uint64_t step_version;
    bool step_ready;
};

/* Release the cached kernel and its spectra (a forward of another shape follows). */
void s4_release_kernel(subq_fftconv_s4 *m);

/* The S4D kernel (s4d_kernel.comp) or the S4 DPLR kernel (s4_dplr.comp + C2R) into m->k. */
subq_status s4_kernel_generate(subq_stream *stream, subq_fftconv_s4 *m, double rate);

/* S4 (DPLR): the state's response y += k_state at the rate (Cauchy and Woodbury with the state as
 * B, as the kernel), and next_state = forward_state(x, state) at rate 1 (a scan of the step). */
subq_status s4_dplr_state_response(subq_stream *stream, subq_fftconv_s4 *m, const subq_tensor *state, double rate,
                                   int64_t batch, subq_tensor *y);
typedef struct s4_x_layout {
    const subq_tensor *x;
    int64_t stride_b, stride_h, stride_l, length;
} s4_x_layout;
subq_status s4_dplr_forward_state(subq_stream *stream, subq_fftconv_s4 *m, const s4_x_layout *x,
                                  const subq_tensor *state, subq_tensor *next_state);
/* S4's setup_step: (D, E, R, P, B) on the GPU into m->coeffs, dC on the host into m->dc. */
subq_status s4_dplr_setup_step(subq_stream *stream, subq_fftconv_s4 *m);
subq_status s4_dplr_step(subq_stream *stream, subq_fftconv_s4 *m, const subq_tensor *x, const subq_tensor *state,
                         subq_tensor *y, subq_tensor *next_state);
/* dC [C, H, N2, 2] = C~ (I - dA^l_kernel)^-1 on the host in double precision (s4_dplr_setup.c). */
subq_status s4_dplr_output_matrix(subq_fftconv_s4 *m, int64_t l_kernel, float *dc);

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
