// Complex arithmetic for FFTs in registers and shared memory: a complex value is vec2(re, im).
// FFT sizes are powers of two, so every twiddle is exp(-2 pi i m / n) with m / n exact in float;
// turn() evaluates it to a few ulp, where a GPU's sin and cos may be off by 2^-21 absolute.

vec2 cmul(vec2 a, vec2 b) { return vec2(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x); }

vec2 cconj(vec2 a) { return vec2(a.x, -a.y); }

// exp(-2 pi i f) for f in [0, 1): the nearest quarter turn is exact, and the rest (at most an
// eighth of a turn) goes through the Taylor series of sin and cos, truncated below 2e-9.
vec2 turn(float f)
{
    float quarter = round(4.0 * f);
    float r = f - 0.25 * quarter;
    float r2 = r * r;
    float s = r * (6.283185307 + r2 * (-41.34170224 + r2 * (81.60524928 + r2 * (-76.70585975 +
                                                                               r2 * 42.05869394))));
    float c = 1.0 + r2 * (-19.73920880 + r2 * (64.93939402 + r2 * (-85.45681721 + r2 * (60.24464137 +
                                                                                       r2 * -26.42625678))));
    vec2 w = vec2(c, -s);
    uint q = uint(quarter); // times (-i)^q, without branches
    w = (q & 1u) != 0u ? vec2(w.y, -w.x) : w;
    return (q & 2u) != 0u ? -w : w;
}

// exp(-2 pi i k / 64) for k < 32: the constant twiddles inside butterflies of radix <= 32, and
// the packed split's ratios between bins a multiple of P / 32 apart.
const vec2 ROOTS64[32] = vec2[32](
    vec2(1.000000000, 0.000000000), vec2(0.9951847267, -0.0980171403),
    vec2(0.9807852804, -0.1950903220), vec2(0.9569403357, -0.2902846773),
    vec2(0.9238795325, -0.3826834324), vec2(0.8819212643, -0.4713967368),
    vec2(0.8314696123, -0.5555702330), vec2(0.7730104534, -0.6343932842),
    vec2(0.7071067812, -0.7071067812), vec2(0.6343932842, -0.7730104534),
    vec2(0.5555702330, -0.8314696123), vec2(0.4713967368, -0.8819212643),
    vec2(0.3826834324, -0.9238795325), vec2(0.2902846773, -0.9569403357),
    vec2(0.1950903220, -0.9807852804), vec2(0.0980171403, -0.9951847267),
    vec2(0.000000000, -1.000000000), vec2(-0.0980171403, -0.9951847267),
    vec2(-0.1950903220, -0.9807852804), vec2(-0.2902846773, -0.9569403357),
    vec2(-0.3826834324, -0.9238795325), vec2(-0.4713967368, -0.8819212643),
    vec2(-0.5555702330, -0.8314696123), vec2(-0.6343932842, -0.7730104534),
    vec2(-0.7071067812, -0.7071067812), vec2(-0.7730104534, -0.6343932842),
    vec2(-0.8314696123, -0.5555702330), vec2(-0.8819212643, -0.4713967368),
    vec2(-0.9238795325, -0.3826834324), vec2(-0.9569403357, -0.2902846773),
    vec2(-0.9807852804, -0.1950903220), vec2(-0.9951847267, -0.0980171403));

// v * exp(-2 pi i k / 32); k is a constant once loops unroll, so the trivial cases cost nothing.
vec2 rotate32(vec2 v, uint k)
{
    if (k == 0u) return v;
    if (k == 8u) return vec2(v.y, -v.x);
    return cmul(v, ROOTS64[2u * k]);
}
