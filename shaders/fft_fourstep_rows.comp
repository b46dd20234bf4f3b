#version 450
#extension GL_GOOGLE_include_directive : require
// The four-step FFT convolution's middle pass (fft_fourstep.glsl): a workgroup takes WIDTH pairs
// of rows k1 and (N1 - k1) mod N1 of the scratch (pair 0: rows 0 and N1 / 2, each its own
// mirror), which hold both Z[k] and Z[M - k] for every bin k of theirs once transformed over n2:
// M - k = (N1 - k1) + N1 (N2 - 1 - k2) for k1 > 0, and N1 ((N2 - k2) mod N2) for k1 = 0. There
// the real row's spectrum is multiplied by the kernel's and turned back into the packed form,
// whose conjugate is transformed over k2 again and written back.
// Invocation t + T * s holds points t + T * m of the workgroup's signal s = 2 * pair + h.
#include "fft_fourstep.glsl"
#define STOCKHAM_LOG_N LOG_N2
#define STOCKHAM_LOG_E LOG_POINTS
#include "fft_stockham.glsl"

layout(std430, binding = 0) buffer Scratch { vec2 scratch[]; };
layout(std430, binding = 1) readonly buffer Spectrum { vec2 spectrum[]; };

// Signal s at s * SIGNAL_STRIDE, a padding float per 32 against bank conflicts.
const uint SIGNAL_STRIDE = N + (N >> 5u);
shared float sh[2u * WIDTH * SIGNAL_STRIDE];
uint signal_base;

void stockham_put(uint i, float v) { sh[signal_base + i + (i >> 5u)] = v; }
float stockham_get(uint i) { return sh[signal_base + i + (i >> 5u)]; }

// The kernel's spectrum in the scratch's order: bin k1 + N1 k2 at k1 N2 + k2, bin M (Nyquist) at M.
uint spectrum_row;

vec2 bin(uint k1, uint k2) { return spectrum[spectrum_row + k1 * N2 + k2]; }

// mirror_of[m] = conj(Z[(M - k) mod M]) for k = k1 + N1 (t + T m): from signal `other`, point
// (N2 - k2) mod N2 if first_row (k1 = 0), else N2 - 1 - k2.
vec2 mirror_of[E];

void mirror(uint other, bool first_row)
{
    uint other_base = other * SIGNAL_STRIDE;
    [[unroll]] for (uint c = 0u; c < 2u; c++) {
        barrier();
        [[unroll]] for (uint m = 0u; m < E; m++) stockham_put(t + T * m, a[m][c]);
        barrier();
        [[unroll]] for (uint m = 0u; m < E; m++) {
            uint k2 = t + T * m, i = first_row ? (N - k2) & (N - 1u) : N - 1u - k2;
            mirror_of[m][c] = sh[other_base + i + (i >> 5u)];
        }
    }
    [[unroll]] for (uint m = 0u; m < E; m++) mirror_of[m] = cconj(mirror_of[m]);
}

// Z = FFT(u[2n] + i u[2n+1]) gives the even and odd halves' spectra E = (Z + conj Z(-k)) / 2 and
// O = (Z - conj Z(-k)) / 2i, so the row's spectrum is U[k] = E + w O and U[k + M] = E - w O,
// w = exp(-2 pi i k / 2M). With V = U S (S[k + M] = conj S[M - k]; S[M] the Nyquist bin at
// k = 0) the output's even and odd halves transform together as
// Z' = (V[k] + V[k + M]) + i conj(w) (V[k] - V[k + M]); conjugated for the inverse.
void multiply(uint k1, uint other, bool first_row)
{
    mirror(other, first_row);
    uint mirror_k1 = (N1 - k1) & (N1 - 1u);
    [[unroll]] for (uint m = 0u; m < E; m++) {
        uint k2 = t + T * m, k = k1 + N1 * k2;
        uint mirror_k2 = first_row ? (N - k2) & (N - 1u) : N - 1u - k2;
        vec2 s_lo = bin(k1, k2);
        vec2 s_hi = k == 0u ? spectrum[spectrum_row + M] : cconj(bin(mirror_k1, mirror_k2));
        if (k == 0u) s_lo.y = s_hi.y = 0.0;
        vec2 w = turn(float(k) / float(2u * M));
        vec2 even = 0.5 * (a[m] + mirror_of[m]), odd = cmul(w, 0.5 * (a[m] - mirror_of[m]));
        odd = vec2(odd.y, -odd.x); // divided by i
        vec2 lo = cmul(even + odd, s_lo), hi = cmul(even - odd, s_hi);
        vec2 rotated = cmul(cconj(w), lo - hi);
        a[m] = cconj(lo + hi + vec2(-rotated.y, rotated.x));
    }
}

void main()
{
    uint groups = N1 / 2u / WIDTH, wg = workgroup_index();
    uint row = wg / groups;
    if (row >= p.rows) return;
    uint s = gl_LocalInvocationID.x / T, pair = (wg % groups) * WIDTH + s / 2u, h = s & 1u;
    t = gl_LocalInvocationID.x % T;
    signal_base = s * SIGNAL_STRIDE;
    uint k1 = h == 0u ? pair : pair == 0u ? N1 / 2u : N1 - pair;
    uint b = row % p.batch, c = row / p.batch;
    spectrum_row = (p.spectrum_first + b * p.spectrum_stride[0] + c * p.spectrum_stride[1]) / 2u;
    uint base = p.scratch_first / 2u + row * M + k1 * N2;
    [[unroll]] for (uint m = 0u; m < E; m++) a[m] = scratch[base + t + T * m];
    stockham_fft(false);
    multiply(k1, pair == 0u ? s : s ^ 1u, pair == 0u && h == 0u);
    stockham_fft(false);
    [[unroll]] for (uint m = 0u; m < E; m++) scratch[base + t + T * m] = a[m];
}
