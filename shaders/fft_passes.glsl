// The steps of power-of-two Stockham FFTs in registers and shared memory, shared by the fused
// causal kernel (fft_conv_fused.glsl) and the four-step one (fft_stockham.glsl). Each of a
// signal's T invocations holds E = 2^LOG_E points, point t + T * m in a[m]; a pass of radix up to
// E transforms them in registers, and the next pass's points arrive through shared memory. The
// including shader includes fft.glsl and declares E, LOG_E, T, COMPONENTS (2: real and imaginary
// parts exchanged in turn, half the memory; 1: whole values), vec2 a[E], uint t, and where
// component c of its signal's point i lives in shared memory:
//   void fft_put(uint i, vec2 v, uint c);        (COMPONENTS 1: all of v)
//   void fft_get(uint i, inout vec2 v, uint c);
// Loops over points unroll, so a[] stays in registers.

// After a pass of radix 2^log_r over sub-transforms of length ns, output r of butterfly q
// (in a[q + r * stride]) belongs at ((j / ns) * radix + r) * ns + j % ns, j = t + T * q; the
// next pass wants point t + T * m in a[m].
void fft_exchange(uint log_r, uint ns)
{
    uint log_stride = LOG_E - log_r;
    [[unroll]] for (uint c = 0u; c < COMPONENTS; c++) {
        barrier();
        [[unroll]] for (uint m = 0u; m < E; m++) {
            uint j = t + T * (m & ((1u << log_stride) - 1u)), r = m >> log_stride;
            fft_put(((j & ~(ns - 1u)) << log_r) + r * ns + (j & (ns - 1u)), a[m], c);
        }
        barrier();
        [[unroll]] for (uint m = 0u; m < E; m++) fft_get(t + T * m, a[m], c);
    }
}

// Inputs r >= 1 of butterfly q times exp(-2 pi i f r). A power's error grows with its exponent,
// so powers by squaring (a few ulp up to the 15th) start again from a direct turn() at the 16th:
// radix 32 through powers alone missed the fp32 bound of the checks.
void fft_twiddle(uint q, uint radix, uint stride, float f)
{
    vec2 w[E];
    vec2 w1 = turn(f), w16;
    [[unroll]] for (uint r = 1u; r < radix; r++) {
        if (r == 1u) w[r] = w1;
        else if (r == 16u) w[r] = w16 = turn(fract(16.0 * f));
        else if (r > 16u) w[r] = cmul(w16, w[r - 16u]);
        else w[r] = (r & 1u) == 0u ? cmul(w[r / 2u], w[r / 2u]) : cmul(w[r - 1u], w1);
        a[q + r * stride] = cmul(a[q + r * stride], w[r]);
    }
}

// A DIF radix-2 network over the butterfly's inputs, then its outputs back in natural order.
// zero_upper: inputs r >= radix / 2 are zero, so the first stage only rotates copies.
void fft_dft(uint q, uint log_r, uint stride, bool zero_upper)
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
void fft_pass(uint log_r, uint ns, bool zero_upper)
{
    uint stride = E >> log_r;
    [[unroll]] for (uint q = 0u; q < stride; q++) {
        if (ns > 1u) fft_twiddle(q, 1u << log_r, stride, float((t + T * q) & (ns - 1u)) / float(ns << log_r));
        fft_dft(q, log_r, stride, zero_upper);
    }
}
