// Power-of-two complex FFTs of signals spread over invocations, in registers and shared memory
// (Stockham autosort, radix up to 32; the steps are fft_passes.glsl's). Each of a signal's
// T = N / E invocations holds E points: point t + T * m in a[m] before stockham_fft(), frequency
// t + T * m there after it. Passes of radix E come first (the first may know that the upper half
// of its input is zero), one of the remaining radix last; between passes the points move through
// shared memory one component (real, imaginary) at a time, which takes half the memory of whole
// complex values. The loop over the middle passes does not unroll.
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

const uint COMPONENTS = 2u; // fft_passes.glsl's hooks, one component at a time

void fft_put(uint i, vec2 v, uint c) { stockham_put(i, v[c]); }
void fft_get(uint i, inout vec2 v, uint c) { v[c] = stockham_get(i); }

#include "fft_passes.glsl"

// Forward N-point FFT, exp(-2 pi i nk / N), unnormalised. zero_upper: points N / 2 and above
// are zero (a[m] for m >= E / 2 is not read).
void stockham_fft(bool zero_upper)
{
    if (PASSES == 1u) {
        fft_pass(LOG_N, 1u, zero_upper);
        return;
    }
    fft_pass(LOG_E, 1u, zero_upper);
    uint ns = 1u;
    [[dont_unroll]] for (uint i = 2u; i < PASSES; i++) {
        fft_exchange(LOG_E, ns);
        ns <<= LOG_E;
        fft_pass(LOG_E, ns, false);
    }
    fft_exchange(LOG_E, ns);
    ns <<= LOG_E;
    fft_pass(LOG_REM, ns, false);
}
