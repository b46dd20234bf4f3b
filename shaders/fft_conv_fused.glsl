// Fused causal FFT convolution (src/fft/fused_causal.c), one dispatch: for each row
//   y = post * (irfft(rfft(u, P) * S, P)[:L] + D * u),  u = pre * x,
// with x read once and y written once. Two real rows travel as one complex signal u0 + i u1
// through a P-point complex FFT (P = 2^LOG_P >= 2L). Rows of one spectrum (a channel, a shared
// kernel) then just multiply by it; others are told apart through Z(-k) first (SEPARATE).
// PACKED: one row travels as P = 2^LOG_P >= L points u[2n] + i u[2n+1] instead, the standard
// real FFT of 2P points: half the shared memory per row, so rows twice as long fit. The
// inverse is the forward FFT of the conjugate.
//
// Each of the T = P / E invocations of a pair holds E points in registers, point t + T * m in
// a[m]. A Stockham pass of radix E (REM for the first) transforms them there; the next pass's
// points arrive through shared memory, one component at a time under SPLIT_EXCHANGE (half the
// memory). The first forward pass knows that the upper half of its input is the zero padding.
// Loops over points unroll, so a[] stays in registers; loops over passes unroll under UNROLL.
#extension GL_EXT_control_flow_attributes : require
#include "fft.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint LOG_P = 1u;
layout(constant_id = 2) const uint LOG_E = 1u;
layout(constant_id = 3) const uint FLAGS = 0u;
layout(constant_id = 4) const uint DTYPES = 0u; // dtype.glsl

const bool HAS_PRE = (FLAGS & 1u) != 0u;
const bool HAS_POST = (FLAGS & 2u) != 0u;
const bool HAS_SHORTCUT = (FLAGS & 4u) != 0u;
const bool SEPARATE = (FLAGS & 8u) != 0u;
const uint PAD = (FLAGS >> 4u) & 1u; // one padding element per 128 bytes against bank conflicts
const bool PACKED = (FLAGS & 32u) != 0u;
const bool PAIRED = (FLAGS & 96u) == 96u; // PACKED with even-aligned rows of even length
const bool SPECTRUM_PAIRED = (FLAGS & 128u) != 0u; // spectrum rows even-aligned: bins as vec2
const bool UNROLL = (FLAGS & 256u) != 0u;

const uint P = 1u << LOG_P;
const uint E = 1u << LOG_E;
const uint T = P / E;
const uint PAIRS = gl_WorkGroupSize.x / T; // signals per workgroup: row pairs, or rows if PACKED
const uint PASSES = (LOG_P + LOG_E - 1u) / LOG_E;
const uint LOG_REM = LOG_P - (PASSES - 1u) * LOG_E;

SUBQ_FLOAT_BUFFER(0, readonly, x)
layout(std430, binding = 1) readonly buffer Spectrum { float spectrum[]; };
SUBQ_FLOAT_BUFFER(2, readonly, pre)
SUBQ_FLOAT_BUFFER(3, readonly, post)
SUBQ_FLOAT_BUFFER(4, readonly, shortcut)
SUBQ_FLOAT_BUFFER(5, writeonly, y)
// Neighbours as one access (PAIRED, SPECTRUM_PAIRED).
SUBQ_FLOATN_BUFFER(2, 0, readonly, x)
layout(std430, binding = 1) readonly buffer Spectrum2 { vec2 spectrum2[]; };
SUBQ_FLOATN_BUFFER(2, 2, readonly, pre)
SUBQ_FLOATN_BUFFER(2, 3, readonly, post)
SUBQ_FLOATN_BUFFER(2, 5, writeonly, y)

layout(push_constant) uniform Params {
    uint x_first, spectrum_first, pre_first, post_first, shortcut_first, y_first;
    uint x_stride[2], y_stride[2], pre_stride[2], post_stride[2], spectrum_stride[2]; // batch, channel
    uint shortcut_stride;
    uint batch, channels, len;
} p;

#ifdef SPLIT_EXCHANGE
const uint COMPONENTS = 2u;
const uint PAD_SHIFT = 5u;
const uint PAIR_STRIDE = P + PAD * (P >> PAD_SHIFT);
shared float sh[PAIRS * PAIR_STRIDE];
#else
const uint COMPONENTS = 1u;
const uint PAD_SHIFT = 4u;
const uint PAIR_STRIDE = P + PAD * (P >> PAD_SHIFT);
shared vec2 sh[PAIRS * PAIR_STRIDE];
#endif

vec2 a[E]; // point t + T * m of the pair's signal
uint t, pair_base;
bool valid[2];
uint x_row[2], y_row[2], pre_row[2], post_row[2], spectrum_row[2];
float d[2];

uint shared_index(uint i) { return pair_base + i + PAD * (i >> PAD_SHIFT); }

void fft_put(uint i, vec2 v, uint c)
{
#ifdef SPLIT_EXCHANGE
    sh[shared_index(i)] = v[c];
#else
    sh[shared_index(i)] = v;
#endif
}

void fft_get(uint i, inout vec2 v, uint c)
{
#ifdef SPLIT_EXCHANGE
    v[c] = sh[shared_index(i)];
#else
    v = sh[shared_index(i)];
#endif
}

#include "fft_passes.glsl"

// Pass i >= 1: radix E over sub-transforms of length 2^(LOG_REM + (i - 1) LOG_E), after the
// exchange that pass i - 1 (radix REM for the first) needs.
void later_pass(uint i)
{
    uint log_ns = LOG_REM + (i - 1u) * LOG_E, log_r = i == 1u ? LOG_REM : LOG_E;
    fft_exchange(log_r, 1u << (log_ns - log_r));
    fft_pass(LOG_E, 1u << log_ns, false);
}

// Forward P-point FFT: point t + T * m in a[m] before, frequency t + T * m in a[m] after. The
// later passes unrolled (UNROLL) fold their indices and twiddle arguments to constants; looped,
// they share one copy of their code. Each was much the faster at some plans on an H100
// (fused_causal.c), so the plan chooses.
void fft(bool zero_upper)
{
    fft_pass(LOG_REM, 1u, zero_upper);
    if (UNROLL) {
        [[unroll]] for (uint i = 1u; i < PASSES; i++) later_pass(i);
    } else {
        [[dont_unroll]] for (uint i = 1u; i < PASSES; i++) later_pass(i);
    }
}

void set_row(uint h, uint pair)
{
    uint rows = p.batch * p.channels, g = PACKED ? pair : 2u * pair + h;
    valid[h] = g < rows;
    g = min(g, rows - 1u); // a missing second row shares the first's spectrum
    uint b = g % p.batch, c = g / p.batch;
    x_row[h] = p.x_first + b * p.x_stride[0] + c * p.x_stride[1];
    y_row[h] = p.y_first + b * p.y_stride[0] + c * p.y_stride[1];
    pre_row[h] = p.pre_first + b * p.pre_stride[0] + c * p.pre_stride[1];
    post_row[h] = p.post_first + b * p.post_stride[0] + c * p.post_stride[1];
    spectrum_row[h] = p.spectrum_first + b * p.spectrum_stride[0] + c * p.spectrum_stride[1];
    d[h] = HAS_SHORTCUT ? SUBQ_LOAD(shortcut, 4, p.shortcut_first + c * p.shortcut_stride) : 0.0;
}

float gated(uint h, uint n)
{
    if (!valid[h] || n >= p.len) return 0.0;
    return HAS_PRE ? SUBQ_LOAD(x, 0, x_row[h] + n) * SUBQ_LOAD(pre, 2, pre_row[h] + n) : SUBQ_LOAD(x, 0, x_row[h] + n);
}

// Samples 2n and 2n + 1 of row 0 (PAIRED: both exist when the first does).
vec2 gated_pair(uint n)
{
    if (PAIRED) {
        if (!valid[0] || 2u * n >= p.len) return vec2(0.0);
        vec2 v = SUBQ_LOADN(2, x, 0, (x_row[0] >> 1u) + n);
        return HAS_PRE ? v * SUBQ_LOADN(2, pre, 2, (pre_row[0] >> 1u) + n) : v;
    }
    return vec2(gated(0u, 2u * n), gated(0u, 2u * n + 1u));
}

// Point n of the signal: two rows, or even and odd samples of one.
vec2 input_point(uint n) { return PACKED ? gated_pair(n) : vec2(gated(0u, n), gated(1u, n)); }

// Only points below P / 2 can hold data: the rest is the padding.
void load_input()
{
    [[unroll]] for (uint m = 0u; m < E / 2u; m++) a[m] = input_point(t + T * m);
}

// Bin k of the full P-point spectrum of a real kernel: conj(S[P - k]) above P / 2. Like irfft,
// ignore the imaginary parts of the DC and Nyquist bins.
vec2 spectrum_bin(uint h, uint m)
{
    uint k = t + T * m;
    uint at = spectrum_row[h] + 2u * (m < E / 2u ? k : P - k);
    vec2 s = SPECTRUM_PAIRED ? spectrum2[at >> 1u] : vec2(spectrum[at], spectrum[at + 1u]);
    if (m >= E / 2u) s.y = -s.y;
    if (t == 0u && (m == 0u || m == E / 2u)) s.y = 0.0;
    return s;
}

// PACKED: Z = FFT(u[2n] + i u[2n+1]) gives the even and odd halves' spectra
// E = (Z + conj Z(-k)) / 2 and O = (Z - conj Z(-k)) / 2i, so the row's spectrum is
// U[k] = E + w O and U[k + P] = E - w O, w = exp(-2 pi i k / 2P). With V = U S (S[k + P] =
// conj S[P - k]; S[P] the Nyquist bin at k = 0) the output's even and odd halves transform
// together as Z' = (V[k] + V[k + P]) + i conj(w) (V[k] - V[k + P]); then conjugate for the inverse.
// w for k = t + T * m is w(t) times the constant exp(-2 pi i m / 2E).
vec2 multiply_packed_bin(uint m, vec2 z, vec2 mirrored, vec2 w_t)
{
    uint k = t + T * m;
    uint at = spectrum_row[0] + 2u * k, flipped = spectrum_row[0] + 2u * (P - k);
    vec2 s_lo = SPECTRUM_PAIRED ? spectrum2[at >> 1u] : vec2(spectrum[at], spectrum[at + 1u]);
    vec2 s_hi = SPECTRUM_PAIRED ? spectrum2[flipped >> 1u] : vec2(spectrum[flipped], spectrum[flipped + 1u]);
    if (k == 0u) s_lo.y = s_hi.y = 0.0;
    s_hi.y = -s_hi.y;
    vec2 w = m == 0u ? w_t : cmul(w_t, ROOTS64[(32u >> LOG_E) * m]);
    vec2 even = 0.5 * (z + mirrored), odd = cmul(w, 0.5 * (z - mirrored));
    odd = vec2(odd.y, -odd.x); // divided by i
    vec2 lo = cmul(even + odd, s_lo), hi = cmul(even - odd, s_hi);
    vec2 rotated = cmul(cconj(w), lo - hi);
    return cconj(lo + hi + vec2(-rotated.y, rotated.x));
}

// Z = U0 + i U1 with U0 = (Z + conj Z(-k)) / 2 and U1 = (Z - conj Z(-k)) / 2i, so
// U0 S0 + i U1 S1 = Z (S0 + S1) / 2 + conj Z(-k) (S0 - S1) / 2; then conjugate for the inverse.
vec2 multiply_separate_bin(uint m, vec2 z, vec2 mirrored)
{
    vec2 s0 = spectrum_bin(0u, m), s1 = spectrum_bin(1u, m);
    return cconj(cmul(z, 0.5 * (s0 + s1)) + cmul(mirrored, 0.5 * (s0 - s1)));
}

vec2 multiply_bin(uint m, vec2 z, vec2 mirrored, vec2 w_t)
{
    return PACKED ? multiply_packed_bin(m, z, mirrored, w_t) : multiply_separate_bin(m, z, mirrored);
}

uint mirror_index(uint m) { return shared_index((P - t - T * m) & (P - 1u)); }

// Rows of one spectrum multiply in place. Others, and packed rows, need conj(Z[-k]) too: it
// arrives through shared memory (the real parts first under SPLIT_EXCHANGE) and is used as it
// comes, rather than held for all E bins.
void multiply()
{
    if (!PACKED && !SEPARATE) {
        [[unroll]] for (uint m = 0u; m < E; m++) a[m] = cconj(cmul(a[m], spectrum_bin(0u, m)));
        return;
    }
    vec2 w_t = PACKED ? turn(float(t) / float(2u * P)) : vec2(1.0, 0.0);
    barrier();
    [[unroll]] for (uint m = 0u; m < E; m++) fft_put(t + T * m, a[m], 0u);
    barrier();
#ifdef SPLIT_EXCHANGE
    float mirrored_re[E];
    [[unroll]] for (uint m = 0u; m < E; m++) mirrored_re[m] = sh[mirror_index(m)];
    barrier();
    [[unroll]] for (uint m = 0u; m < E; m++) fft_put(t + T * m, a[m], 1u);
    barrier();
    [[unroll]] for (uint m = 0u; m < E; m++)
        a[m] = multiply_bin(m, a[m], vec2(mirrored_re[m], -sh[mirror_index(m)]), w_t);
#else
    [[unroll]] for (uint m = 0u; m < E; m++) a[m] = multiply_bin(m, a[m], cconj(sh[mirror_index(m)]), w_t);
#endif
}

// The shortcut's input is read again (mostly an L2 hit) rather than held through the FFTs.
void store(uint h, uint n, float conv)
{
    if (!valid[h]) return;
    float v = HAS_SHORTCUT ? conv + d[h] * gated(h, n) : conv;
    SUBQ_STORE(y, 5, y_row[h] + n, HAS_POST ? v * SUBQ_LOAD(post, 3, post_row[h] + n) : v);
}

// PAIRED, from the conjugate as store_output: every load (the shortcut's input, post) before the
// first store to y. On an H100 this took gated B=8, C=768, L=8192 from 0.877 to 0.834 ms (Hyena's
// h * v: 0.831 to 0.787; gated f16, B=64: 6.39 to 6.02), with no more registers. Loading ahead on
// every path instead was slower; restrict on the buffers changed nothing.
void store_pairs()
{
    vec2 shortcut_in[E / 2u], post_in[E / 2u];
    [[unroll]] for (uint m = 0u; m < E / 2u; m++) {
        uint n = t + T * m;
        shortcut_in[m] = HAS_SHORTCUT ? gated_pair(n) : vec2(0.0);
        post_in[m] = HAS_POST && 2u * n < p.len ? SUBQ_LOADN(2, post, 3, (post_row[0] >> 1u) + n) : vec2(1.0);
    }
    [[unroll]] for (uint m = 0u; m < E / 2u; m++) {
        uint n = t + T * m;
        vec2 v = (vec2(a[m].x, -a[m].y) + d[0] * shortcut_in[m]) * post_in[m];
        if (2u * n < p.len) SUBQ_STOREN(2, y, 5, (y_row[0] >> 1u) + n, v);
    }
}

// The inverse FFT of the conjugate left conj(y0 + i y1) in a[m] for the first P / 2 points
// (conj(y[2n] + i y[2n + 1]) if PACKED).
void store_output()
{
    if (PAIRED) {
        if (valid[0]) store_pairs();
        return;
    }
    [[unroll]] for (uint m = 0u; m < E / 2u; m++) {
        uint n = t + T * m;
        if (PACKED) {
            if (2u * n < p.len) store(0u, 2u * n, a[m].x);
            if (2u * n + 1u < p.len) store(0u, 2u * n + 1u, -a[m].y);
        } else if (n < p.len) {
            store(0u, n, a[m].x);
            store(1u, n, -a[m].y);
        }
    }
}

void main()
{
    uint pair_in_group = gl_LocalInvocationID.x / T;
    t = gl_LocalInvocationID.x % T;
    pair_base = pair_in_group * PAIR_STRIDE;
    uint pair = (gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x) * PAIRS + pair_in_group;
    set_row(0u, pair);
    if (!PACKED) set_row(1u, pair);
    load_input();
    [[dont_unroll]] for (uint direction = 0u; direction < 2u; direction++) {
        if (direction == 1u) multiply();
        fft(direction == 0u);
    }
    store_output();
}
