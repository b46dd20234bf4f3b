#version 450
#extension GL_GOOGLE_include_directive : require
// Fused causal FFT convolution, exchanging whole complex values through shared memory.
#include "dtype.glsl"
#include "fft_conv_fused.glsl"
