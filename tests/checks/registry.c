/* Every operator's check: one line per operator. */
#include "check.h"

void check_depthwise_conv(checker *c);
void check_causal_conv1d_varlen(checker *c);
void check_causal_conv1d(checker *c);
void check_causal_conv1d_update(checker *c);
void check_causal_conv1d_errors(checker *c);
void check_gate(checker *c);
void check_norm(checker *c);
void check_linear(checker *c);
void check_fft_conv(checker *c);
void check_fft_conv_fused(checker *c);
void check_fft_conv_fourstep(checker *c);
void check_ckconv(checker *c);
void check_hyena(checker *c);
void check_lrnnx_conv(checker *c);
void check_fftconv_s4(checker *c);
void check_fftconv_s4_init(checker *c);
void check_cp(checker *c);
void check_cp_hyena(checker *c);

const check_entry subq_checks[] = {
    {"depthwise_conv", check_depthwise_conv},
    {"causal_conv1d_varlen", check_causal_conv1d_varlen},
    {"causal_conv1d", check_causal_conv1d},
    {"causal_conv1d_update", check_causal_conv1d_update},
    {"causal_conv1d_errors", check_causal_conv1d_errors},
    {"gate", check_gate},
    {"norm", check_norm},
    {"linear", check_linear},
    {"fft_conv", check_fft_conv},
    {"fft_conv_fused", check_fft_conv_fused},
    {"fft_conv_fourstep", check_fft_conv_fourstep},
    {"ckconv", check_ckconv},
    {"hyena", check_hyena},
    {"lrnnx_conv", check_lrnnx_conv},
    {"fftconv_s4", check_fftconv_s4},
    {"fftconv_s4_init", check_fftconv_s4_init},
    {"cp", check_cp},
    {"cp_hyena", check_cp_hyena},
    {NULL, NULL},
};
