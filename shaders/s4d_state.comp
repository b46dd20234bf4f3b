#version 450
#extension GL_GOOGLE_include_directive : require
// S4D's recurrent side (SPEC.md section 7), one shader, four modes (constant_id 1):
//  SETUP          coeffs[h, n] = (dA, dB) at rate 1                      one invocation per (h, n)
//  STATE_RESPONSE y[b,c,h,l] += 2 Re sum_n C s[b,h,n] dA^(l+1), at rate   one per (b, c, h, l)
//  FORWARD_STATE  next[b,h,n] = dA^L s + sum_t u[t] dB dA^(L-1-t), rate 1 one per (b, h, n)
//  STEP           s' = dA s + dB u (from coeffs), y[b,c,h] = 2 Re sum_n C s'  one per (b, h)
// x is read through strides (b, h, l), so either layout works; everything else is dense. x and y
// may be f32, f16 or bf16 (STATE_RESPONSE's y is the forward's f32 output); the state, coeffs and
// out (next_state) are f32.
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint MODE = 0u;
layout(constant_id = 2) const uint DTYPES = 0u; // dtype.glsl
const uint SETUP = 0u, STATE_RESPONSE = 1u, FORWARD_STATE = 2u, STEP = 3u;

layout(push_constant) uniform Push {
    uint first[5];
    uint n2, n_ssm, h, channels, len, bilinear, batch;
    uint x_first, x_stride_b, x_stride_h, x_stride_l;
    uint state_first, coeffs_first, out_first, y_first;
    float rate;
} p;

#include "dtype.glsl"
#include "s4d.glsl"

SUBQ_FLOAT_BUFFER(5, readonly, x)
layout(std430, binding = 6) readonly buffer StateBuf { float state_[]; };
vec2 state(uint i) { return vec2(state_[p.state_first + 2u * i], state_[p.state_first + 2u * i + 1u]); }
layout(std430, binding = 7) buffer CoeffBuf { vec4 coeffs[]; };
layout(std430, binding = 8) buffer OutBuf { float out_[]; };
SUBQ_FLOAT_BUFFER(9, , y)

void main() {
    uint id = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    if (MODE == SETUP) {
        if (id >= p.h * p.n2) return;
        s4d_mode m = s4d_discretise(id / p.n2, id % p.n2, 1.0);
        coeffs[p.coeffs_first / 4u + id] = vec4(m.da, m.db);
    } else if (MODE == STATE_RESPONSE) {
        if (id >= p.batch * p.channels * p.h * p.len) return;
        uint l = id % p.len, h = (id / p.len) % p.h, bc = id / (p.len * p.h);
        uint c = bc % p.channels, b = bc / p.channels;
        float acc = 0.0;
        for (uint n = 0u; n < p.n2; n++) {
            s4d_mode m = s4d_discretise(h, n, p.rate);
            vec2 cs = cmul(s4d_c(c, h, n), state((b * p.h + h) * p.n2 + n));
            vec2 z = cexp_steps(m.log_da, float(l + 1u));
            acc += cs.x * z.x - cs.y * z.y;
        }
        SUBQ_STORE(y, 9, p.y_first + id, SUBQ_LOAD(y, 9, p.y_first + id) + 2.0 * acc);
    } else if (MODE == FORWARD_STATE) {
        if (id >= p.batch * p.h * p.n2) return;
        uint n = id % p.n2, h = (id / p.n2) % p.h, b = id / (p.n2 * p.h);
        s4d_mode m = s4d_discretise(h, n, 1.0);
        vec2 s = state(id);
        uint xb = p.x_first + b * p.x_stride_b + h * p.x_stride_h;
        for (uint t = 0u; t < p.len; t++) s = cmul(m.da, s) + m.db * SUBQ_LOAD(x, 5, xb + t * p.x_stride_l);
        out_[p.out_first + 2u * id] = s.x;
        out_[p.out_first + 2u * id + 1u] = s.y;
    } else {
        if (id >= p.batch * p.h) return;
        uint h = id % p.h;
        float u = SUBQ_LOAD(x, 5, p.x_first + (id / p.h) * p.x_stride_b + h * p.x_stride_h);
        for (uint n = 0u; n < p.n2; n++) {
            vec4 m = coeffs[p.coeffs_first / 4u + h * p.n2 + n];
            vec2 s = cmul(m.xy, state(id * p.n2 + n)) + m.zw * u;
            out_[p.out_first + 2u * (id * p.n2 + n)] = s.x;
            out_[p.out_first + 2u * (id * p.n2 + n) + 1u] = s.y;
        }
        for (uint c = 0u; c < p.channels; c++) {
            float acc = 0.0;
            for (uint n = 0u; n < p.n2; n++) {
                uint o = p.out_first + 2u * (id * p.n2 + n);
                vec2 s = vec2(out_[o], out_[o + 1u]);
                vec2 cc = s4d_c(c, h, n);
                acc += cc.x * s.x - cc.y * s.y;
            }
            SUBQ_STORE(y, 9, p.y_first + ((id / p.h) * p.channels + c) * p.h + h, 2.0 * acc);
        }
    }
}
