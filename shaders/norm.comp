#version 450
// Norms over the channel axis, shared-memory reductions (no subgroup arithmetic needed).
#extension GL_GOOGLE_include_directive : require
#include "dtype.glsl"
#include "norm.glsl"
