#version 450
#extension GL_GOOGLE_include_directive : require
// Fused causal FFT convolution, exchanging real and imaginary parts in turn: half the shared
// memory of fft_conv_fused.comp, for the longest rows.
#define SPLIT_EXCHANGE
#include "dtype.glsl"
#include "fft_conv_fused.glsl"
