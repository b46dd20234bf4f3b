#version 450
// Norms over the channel axis, reductions with subgroup arithmetic.
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#define NORM_SUBGROUP
#include "dtype.glsl"
#include "norm.glsl"
