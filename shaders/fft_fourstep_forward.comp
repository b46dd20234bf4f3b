#version 450
#extension GL_GOOGLE_include_directive : require
// The four-step FFT convolution's first pass (fft_fourstep.glsl): u = pre * x packed into complex
// points, FFTs of the columns over n1 (the upper half is the causal padding), twiddles, into the
// scratch as rows k1.
#include "dtype.glsl"
#include "fft_fourstep_columns.glsl"

void main()
{
    if (!locate()) return;
    [[unroll]] for (uint m = 0u; m < E; m++) {
        uint n = N2 * (t + T * m) + n2;
        a[m] = m < E / 2u ? vec2(gated(2u * n), gated(2u * n + 1u)) : vec2(0.0);
    }
    stockham_fft(true);
    [[unroll]] for (uint m = 0u; m < E; m++) {
        uint k1 = t + T * m;
        scratch[scratch_at(k1)] = cmul(a[m], twiddle(n2 * k1));
    }
}
