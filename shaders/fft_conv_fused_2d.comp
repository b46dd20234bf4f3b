#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
// Fused 2D FFT convolution (src/fft/fused_2d.c), one workgroup per image (b, c):
//   y = post * (conv(u, k) + D * u),  u = pre * x,
// conv being the circular convolution on the F0 x F1 grid of fft_layout.h (the input fills
// [0, N0) x [0, N1), the rest is zero; the output is [0, N0) x [0, N1)). x is read once (again
// for the shortcut, mostly from cache) and y written once: the image's half spectrum stays in
// shared memory through three phases.
//  1. Rows: two real rows travel as one complex F1-point FFT, then are told apart into their
//     half spectra. Bins 0 and F1/2 of a real row are real, so a row keeps F1/2 complex values,
//     bin F1/2 in bin 0's imaginary part.
//  2. Columns: each of the F1/2 columns an F0-point FFT, times the spectrum, inverse, the first
//     N0 points kept. Column 0 carries the DC and Nyquist columns (each real there) as one
//     complex signal, told apart at the product.
//  3. Rows again: two rows' half spectra as one complex F1-point inverse FFT, N1 points stored.
// The spectrum comes column by column ([F1/2 + 1][F0], fused_2d.h), so that a column's
// invocations read neighbours. Each invocation holds E = 8 points of a signal in registers and
// exchanges them through shared memory (fft_passes.glsl), one component at a time.
#include "dtype.glsl"
#include "fft.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint LOG_F0 = 3u;
layout(constant_id = 2) const uint LOG_F1 = 3u;
layout(constant_id = 3) const uint N0 = 1u;
layout(constant_id = 4) const uint N1 = 1u;
layout(constant_id = 5) const uint FLAGS = 0u;
layout(constant_id = 6) const uint DTYPES = 0u; // dtype.glsl

const bool HAS_PRE = (FLAGS & 1u) != 0u;
const bool HAS_POST = (FLAGS & 2u) != 0u;
const bool HAS_SHORTCUT = (FLAGS & 4u) != 0u;

const uint THREADS = gl_WorkGroupSize.x;
const uint LOG_E = 3u;
const uint E = 1u << LOG_E;
const uint COMPONENTS = 2u;
const uint F0 = 1u << LOG_F0;
const uint F1 = 1u << LOG_F1;
const uint SIGNALS0 = THREADS / (F0 / E); // column signals per round
const uint SIGNALS1 = THREADS / (F1 / E); // row pairs per round
const uint PASSES0 = (LOG_F0 + LOG_E - 1u) / LOG_E;
const uint PASSES1 = (LOG_F1 + LOG_E - 1u) / LOG_E;
const uint LOG_REM0 = LOG_F0 - (PASSES0 - 1u) * LOG_E;
const uint LOG_REM1 = LOG_F1 - (PASSES1 - 1u) * LOG_E;
const bool ROWS_ZERO_UPPER = 2u * N1 <= F1;    // the first row pass's upper inputs are padding
const bool COLUMNS_ZERO_UPPER = 2u * N0 <= F0; // and the first column pass's
const uint H = F1 / 2u;
const uint PAIRS = (N0 + 1u) / 2u;
// The half spectrum, real parts then imaginary parts, PAIRS * 2 rows of STRIDE floats. A column
// pass reads down a column: the stride spreads a warp's invocations over the 32 banks (mirrored in
// fused_2d.c).
const uint COLUMN_T = F0 / E;
const uint STRIDE = ((H + 31u) & ~31u) + (COLUMN_T >= 32u ? 1u : (32u / COLUMN_T) % 32u);
const uint PLANE = 2u * PAIRS * STRIDE;
shared float half_spectrum[2u * PLANE];
// The FFTs' exchanges (scratch_region).
shared float scratch[THREADS * E + THREADS * E / 32u];

SUBQ_FLOAT_BUFFER(0, readonly, x)
layout(std430, binding = 1) readonly buffer Spectrum { vec2 spectrum[]; };
SUBQ_FLOAT_BUFFER(2, readonly, pre)
SUBQ_FLOAT_BUFFER(3, readonly, post)
SUBQ_FLOAT_BUFFER(4, readonly, shortcut)
SUBQ_FLOAT_BUFFER(5, writeonly, y)

layout(push_constant) uniform Params {
    uint x_first, spectrum_first, pre_first, post_first, shortcut_first, y_first; // spectrum's in vec2
    uint x_stride[2], y_stride[2], pre_stride[2], post_stride[2], spectrum_stride[2]; // batch, channel
    uint shortcut_stride;
    uint batch, channels;
} p;

vec2 a[E]; // point t + T * m of the invocation's signal
// Loaded ahead of a round's FFTs: the row pair's inputs; the column's bins (and the Nyquist
// column's); the two rows' epilogue factors.
vec2 ahead[E], ahead2[E];
uint t, T, signal_base;
uint x_image, pre_image, post_image, y_image, spectrum_image;
float d;

// Signal s of a phase of F-point FFTs owns F + F / 32 floats of the scratch, a padding float per 32.
uint scratch_region(uint s, uint points) { return s * (points + points / 32u); }
uint padded(uint i) { return i + (i >> 5u); }

void fft_put(uint i, vec2 v, uint c) { scratch[signal_base + padded(i)] = v[c]; }
void fft_get(uint i, inout vec2 v, uint c) { v[c] = scratch[signal_base + padded(i)]; }

#include "fft_passes.glsl"

// Sets the phase's FFT size (2^log_f points over T invocations) and returns the invocation's
// signal.
uint enter_phase(uint log_f)
{
    uint points = 1u << log_f;
    T = points / E;
    t = gl_LocalInvocationID.x % T;
    uint s = gl_LocalInvocationID.x / T;
    signal_base = scratch_region(s, points);
    return s;
}

// Forward FFT: point t + T * m in a[m] before, bin t + T * m after.
void fft(uint passes, uint log_rem, bool zero_upper)
{
    fft_pass(log_rem, 1u, zero_upper);
    [[unroll]] for (uint i = 1u; i < passes; i++) {
        uint log_r = i == 1u ? log_rem : LOG_E, log_ns = log_rem + (i - 1u) * LOG_E;
        fft_exchange(log_r, 1u << (log_ns - log_r));
        fft_pass(LOG_E, 1u << log_ns, false);
    }
}

vec2 half_get(uint r, uint k) { return vec2(half_spectrum[r * STRIDE + k], half_spectrum[PLANE + r * STRIDE + k]); }

void half_put(uint r, uint k, vec2 v)
{
    half_spectrum[r * STRIDE + k] = v.x;
    half_spectrum[PLANE + r * STRIDE + k] = v.y;
}

// u at (r, n), zero outside the image.
float input_at(uint r, uint n)
{
    if (r >= N0 || n >= N1) return 0.0;
    uint i = r * N1 + n;
    float v = SUBQ_LOAD(x, 0, x_image + i);
    return HAS_PRE ? v * SUBQ_LOAD(pre, 2, pre_image + i) : v;
}

// The round's row pairs Z = A + iB are in a[] as bins; each invocation then tells apart E / 2 of
// the round's (pair, bin) items, A = (Z + conj Z(-k)) / 2 and B = (Z - conj Z(-k)) / 2i, the
// mirrored bins arriving through the scratch. Item 0 of a pair keeps A[0] + i A[H] (and B's).
void split_rows(uint first_pair)
{
    vec2 z[E / 2u], mirrored[E / 2u];
    [[unroll]] for (uint c = 0u; c < 2u; c++) {
        barrier();
        [[unroll]] for (uint m = 0u; m < E; m++) fft_put(t + T * m, a[m], c);
        barrier();
        [[unroll]] for (uint j = 0u; j < E / 2u; j++) {
            uint item = gl_LocalInvocationID.x + THREADS * j, k = item % H;
            uint base = scratch_region(item / H, F1), km = k == 0u ? H : F1 - k;
            z[j][c] = scratch[base + padded(k)];
            mirrored[j][c] = scratch[base + padded(km)];
        }
    }
    [[unroll]] for (uint j = 0u; j < E / 2u; j++) {
        uint item = gl_LocalInvocationID.x + THREADS * j, k = item % H, pair = first_pair + item / H;
        if (pair >= PAIRS) continue;
        vec2 ra = vec2(z[j].x, mirrored[j].x), rb = vec2(z[j].y, mirrored[j].y);
        if (k != 0u) {
            vec2 m = cconj(mirrored[j]), diff = 0.5 * (z[j] - m);
            ra = 0.5 * (z[j] + m);
            rb = vec2(diff.y, -diff.x);
        }
        half_put(2u * pair, k, ra);
        half_put(2u * pair + 1u, k, rb);
    }
}

// Loads the next round's row pair while this one's FFT runs (global latency off its path).
void load_rows(uint pair)
{
    [[unroll]] for (uint m = 0u; m < E; m++)
        if (!ROWS_ZERO_UPPER || m < E / 2u)
            ahead[m] = vec2(input_at(2u * pair, t + T * m), input_at(2u * pair + 1u, t + T * m));
}

void rows_forward()
{
    uint s = enter_phase(LOG_F1);
    load_rows(s);
    for (uint first = 0u; first < PAIRS; first += SIGNALS1) {
        [[unroll]] for (uint m = 0u; m < E; m++) a[m] = ahead[m];
        if (first + SIGNALS1 < PAIRS) load_rows(first + SIGNALS1 + s);
        fft(PASSES1, LOG_REM1, ROWS_ZERO_UPPER);
        split_rows(first);
    }
}

vec2 spectrum_at(uint column, uint k0) { return spectrum[spectrum_image + column * F0 + k0]; }

// Column 0 is Z = C0 + i CN for the real DC and Nyquist columns: C0 S0 + i CN SN =
// Z (S0 + SN) / 2 + conj Z(-k) (S0 - SN) / 2, Z(-k) arriving through the scratch (for every
// signal of the round, as the barriers are the workgroup's). Then conjugated for the inverse.
void multiply_first_round(uint k1)
{
    vec2 mirrored[E];
    [[unroll]] for (uint c = 0u; c < 2u; c++) {
        barrier();
        [[unroll]] for (uint m = 0u; m < E; m++) fft_put(t + T * m, a[m], c);
        barrier();
        [[unroll]] for (uint m = 0u; m < E; m++) fft_get((F0 - t - T * m) & (F0 - 1u), mirrored[m], c);
    }
    [[unroll]] for (uint m = 0u; m < E; m++) {
        if (k1 == 0u)
            a[m] = cmul(a[m], 0.5 * (ahead[m] + ahead2[m])) + cmul(cconj(mirrored[m]), 0.5 * (ahead[m] - ahead2[m]));
        else
            a[m] = cmul(a[m], ahead[m]);
        a[m] = cconj(a[m]);
    }
}

// The spectrum's bins are loaded ahead of the forward FFT (its latency off the round's path).
void columns()
{
    uint s = enter_phase(LOG_F0);
    for (uint first = 0u; first < H; first += SIGNALS0) {
        bool live = first + s < H;
        uint k1 = min(first + s, H - 1u);
        [[unroll]] for (uint m = 0u; m < E; m++) {
            ahead[m] = spectrum_at(k1, t + T * m);
            if (first == 0u) ahead2[m] = spectrum_at(H, t + T * m);
            if (!COLUMNS_ZERO_UPPER || m < E / 2u) a[m] = t + T * m < N0 ? half_get(t + T * m, k1) : vec2(0.0);
        }
        fft(PASSES0, LOG_REM0, COLUMNS_ZERO_UPPER);
        if (first == 0u) {
            multiply_first_round(k1);
        } else {
            [[unroll]] for (uint m = 0u; m < E; m++) a[m] = cconj(cmul(a[m], ahead[m]));
        }
        fft(PASSES0, LOG_REM0, false);
        [[unroll]] for (uint m = 0u; m < E; m++)
            if (live && t + T * m < N0) half_put(t + T * m, k1, cconj(a[m]));
    }
}

// Bin k of row r's spectrum from its half: Y[F1 - k] = conj Y[k]; bins 0 and H are real.
vec2 row_bin(uint r, uint k)
{
    if (k == 0u) return vec2(half_spectrum[r * STRIDE], 0.0);
    if (k == H) return vec2(half_spectrum[PLANE + r * STRIDE], 0.0);
    return k < H ? half_get(r, k) : cconj(half_get(r, F1 - k));
}

// y = post * (conv + D u) as conv * e.x + e.y, e loaded ahead of the round's FFT.
vec2 epilogue_at(uint r, uint n)
{
    if (r >= N0 || n >= N1 || !(HAS_POST || HAS_SHORTCUT)) return vec2(1.0, 0.0);
    float scale = HAS_POST ? SUBQ_LOAD(post, 3, post_image + r * N1 + n) : 1.0;
    return vec2(scale, HAS_SHORTCUT ? d * input_at(r, n) * scale : 0.0);
}

// The inverse of Ya + i Yb is the conjugate of the forward FFT of its conjugate: ya + i yb.
void rows_inverse()
{
    uint s = enter_phase(LOG_F1);
    for (uint first = 0u; first < PAIRS; first += SIGNALS1) {
        bool live = first + s < PAIRS;
        uint r = 2u * min(first + s, PAIRS - 1u);
        [[unroll]] for (uint m = 0u; m < E; m++) {
            ahead[m] = epilogue_at(r, t + T * m);
            ahead2[m] = epilogue_at(r + 1u, t + T * m);
            vec2 ya = row_bin(r, t + T * m), yb = row_bin(r + 1u, t + T * m);
            a[m] = vec2(ya.x - yb.y, -ya.y - yb.x);
        }
        fft(PASSES1, LOG_REM1, false);
        [[unroll]] for (uint m = 0u; m < E; m++) {
            uint n = t + T * m;
            if (!live || n >= N1) continue;
            SUBQ_STORE(y, 5, y_image + r * N1 + n, fma(a[m].x, ahead[m].x, ahead[m].y));
            if (r + 1u < N0) SUBQ_STORE(y, 5, y_image + (r + 1u) * N1 + n, fma(-a[m].y, ahead2[m].x, ahead2[m].y));
        }
    }
}

void main()
{
    uint image = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
    if (image >= p.batch * p.channels) return;
    uint b = image % p.batch, c = image / p.batch;
    x_image = p.x_first + b * p.x_stride[0] + c * p.x_stride[1];
    pre_image = p.pre_first + b * p.pre_stride[0] + c * p.pre_stride[1];
    post_image = p.post_first + b * p.post_stride[0] + c * p.post_stride[1];
    y_image = p.y_first + b * p.y_stride[0] + c * p.y_stride[1];
    spectrum_image = p.spectrum_first + b * p.spectrum_stride[0] + c * p.spectrum_stride[1];
    d = HAS_SHORTCUT ? SUBQ_LOAD(shortcut, 4, p.shortcut_first + c * p.shortcut_stride) : 0.0;
    rows_forward();
    barrier();
    columns();
    barrier();
    rows_inverse();
}
