// Power-of-two complex FFTs of signals spread over invocations, in registers and shared memory
// (Stockham autosort, radix up to 32). Each of a signal's T = N / E invocations holds E points:
// point t + T * m in a[m] before stockham_fft(), frequency t + T * m there after it. Passes of
// radix E come first (the first may know that the upper half of its input is zero), one of the
// remaining radix last; between passes the points move through shared memory one component
// (real, imaginary) at a time, which takes half the memory of whole complex values. Loops over
// points unroll, so a[] stays in registers; the loop over the middle passes does not.
//
// The including shader defines, before including this file, the constants (or specialisation
// constants) STOCKHAM_LOG_N (log2 N) and STOCKHAM_LOG_E (log2 E, 1..5, at most log2 N), and
// anywhere in the shader where a component of its signal's point i lives in shared memory:
//   void stockham_put(uint i, float v);
//   float stockham_get(uint i);
// It sets t before the first transform. Every invocation of a workgroup must call stockham_fft()
// together (barriers), unless N = E (no exchange at all).
#extension GL_EXT_control_flow_attributes : require
#include "fft.glsl"

const uint LOG_N = STOCKHAM_LOG_N;
const uint LOG_E = STOCKHAM_LOG_E;
const uint N = 1u << LOG_N;
const uint E = 1u << LOG_E;
const uint T = N / E;
const uint PASSES = (LOG_N + LOG_E - 1u) / LOG_E;
const uint LOG_REM = LOG_N - (PASSES - 1u) * LOG_E; // the last pass's radix, 1..LOG_E

vec2 a[E];
uint t;

void stockham_put(uint i, float v);
float stockham_get(uint i);

// After a pass of radix 2^log_r over sub-transforms of length ns, output r of butterfly q
// (in a[q + r * stride]) belongs at ((j / ns) * radix + r) * ns + j % ns, j = t + T * q; the
// next pass wants point t + T * m in a[m].
void stockham_exchange(uint log_r, uint ns)
{
    uint log_stride = LOG_E - log_r;
    [[unroll]] for (uint c = 0u; c < 2u; c++) {
        barrier();
        [[unroll]] for (uint m = 0u; m < E; m++) {
            uint j = t + T * (m & ((1u << log_stride) - 1u)), r = m >> log_stride;
            stockham_put(((j & ~(ns - 1u)) << log_r) + r * ns + (j & (ns - 1u)), a[m][c]);
        }
        barrier();
        [[unroll]] for (uint m = 0u; m < E; m++) a[m][c] = stockham_get(t + T * m);
    }
}

// Inputs r >= 1 of butterfly q times exp(-2 pi i f r); powers by squaring keep the error at a
// few ulp where a running product would grow it with r.
void stockham_twiddle(uint q, uint radix, uint stride, float f)
{
    vec2 w[E];
    vec2 w1 = turn(f);
    [[unroll]] for (uint r = 1u; r < radix; r++) {
        w[r] = r == 1u ? w1 : (r & 1u) == 0u ? cmul(w[r / 2u], w[r / 2u]) : cmul(w[r - 1u], w1);
        a[q + r * stride] = cmul(a[q + r * stride], w[r]);
    }
}

// A DIF radix-2 network over the butterfly's inputs, then its outputs back in natural order.
// zero_upper: inputs r >= radix / 2 are zero, so the first stage only rotates copies.
void stockham_dft(uint q, uint log_r, uint stride, bool zero_upper)
{
    uint radix = 1u << log_r;
    [[unroll]] for (uint s = 0u; s < log_r; s++) {
        uint span = radix >> (s + 1u);
        [[unroll]] for (uint i = 0u; i < radix / 2u; i++) {
            uint lo = q + ((i / span) * 2u * span + i % span) * stride, hi = lo + span * stride;
            uint k = (i % span) << (5u - log_r + s);
            if (zero_upper && s == 0u) {
                a[hi] = rotate32(a[lo], k);
            } else {
                vec2 x0 = a[lo], x1 = a[hi];
                a[lo] = x0 + x1;
                a[hi] = rotate32(x0 - x1, k);
            }
        }
    }
    vec2 natural[E];
    [[unroll]] for (uint r = 0u; r < radix; r++)
        natural[r] = a[q + (bitfieldReverse(r) >> (32u - log_r)) * stride];
    [[unroll]] for (uint r = 0u; r < radix; r++) a[q + r * stride] = natural[r];
}

// One Stockham pass of radix 2^log_r over sub-transforms of length ns.
void stockham_pass(uint log_r, uint ns, bool zero_upper)
{
    uint stride = E >> log_r;
    [[unroll]] for (uint q = 0u; q < stride; q++) {
        if (ns > 1u) stockham_twiddle(q, 1u << log_r, stride, float((t + T * q) & (ns - 1u)) / float(ns << log_r));
        stockham_dft(q, log_r, stride, zero_upper);
    }
}

// Forward N-point FFT, exp(-2 pi i nk / N), unnormalised. zero_upper: points N / 2 and above
// are zero (a[m] for m >= E / 2 is not read).
void stockham_fft(bool zero_upper)
{
    if (PASSES == 1u) {
        stockham_pass(LOG_N, 1u, zero_upper);
        return;
    }
    stockham_pass(LOG_E, 1u, zero_upper);
    uint ns = 1u;
    [[dont_unroll]] for (uint i = 2u; i < PASSES; i++) {
        stockham_exchange(LOG_E, ns);
        ns <<= LOG_E;
        stockham_pass(LOG_E, ns, false);
    }
    stockham_exchange(LOG_E, ns);
    ns <<= LOG_E;
    stockham_pass(LOG_REM, ns, false);
}
