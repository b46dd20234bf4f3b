#version 450
#extension GL_GOOGLE_include_directive : require
// The four-step FFT convolution's last pass (fft_fourstep.glsl): the rows pass left the conjugate
// of the packed output's row transforms; times the twiddles, FFTs of the columns over k1 give
// conj(y[2n] + i y[2n + 1]). Only n < M / 2 is the convolution (the crop); the epilogue
// y = post * (conv + shortcut * u) writes it straight from registers.
#include "dtype.glsl"
#include "fft_fourstep_columns.glsl"

SUBQ_FLOAT_BUFFER(3, readonly, post)
SUBQ_FLOAT_BUFFER(4, readonly, shortcut)
SUBQ_FLOAT_BUFFER(5, writeonly, y)

float d;

void store(uint i, float conv)
{
    float v = HAS_SHORTCUT ? conv + d * gated(i) : conv;
    if (HAS_POST)
        v *= SUBQ_LOAD(post, 3, p.post_first + batch_index * p.post_stride[0] + channel * p.post_stride[1] + i);
    SUBQ_STORE(y, 5, p.y_first + batch_index * p.y_stride[0] + channel * p.y_stride[1] + i, v);
}

void main()
{
    if (!locate()) return;
    d = HAS_SHORTCUT ? SUBQ_LOAD(shortcut, 4, p.shortcut_first + channel * p.shortcut_stride) : 0.0;
    [[unroll]] for (uint m = 0u; m < E; m++) {
        uint k1 = t + T * m;
        a[m] = cmul(scratch[scratch_at(k1)], twiddle(n2 * k1));
    }
    stockham_fft(false);
    [[unroll]] for (uint m = 0u; m < E / 2u; m++) {
        uint n = N2 * (t + T * m) + n2;
        store(2u * n, a[m].x);
        store(2u * n + 1u, -a[m].y);
    }
}
