#version 450
// y = x W^T + bias for f32 x, W and y on tensor cores (VK_NV_cooperative_matrix, 16 x 16 x 16 f16
// products accumulated in f32), to fp32 accuracy: every element v goes in as two f16 halves,
// hi = f16(v) and lo = f16(v - hi), and y gathers hi*hi + hi*lo + lo*hi (the lo*lo left out is
// 2^-22 of a product, below fp32's own rounding over K).
//  - f16's range is narrow, so each row of x and of W is first multiplied by the power of two that
//    linear_row_scale.comp found for it (its largest element to [2^14, 2^15)): lo stays a normal
//    f16 down to 2^-16 of the row's largest element, and the epilogue divides both powers out
//    exactly.
//  - Blocking as in linear_coopmat.comp (the f16 GEMM): a workgroup owns a BM x BN block of y,
//    each subgroup a WM x WN part; the next K step's x and W go global -> registers (f32) while the
//    current one feeds the tensor cores; the split happens on the way into shared memory, where
//    x and W each keep a hi and a lo tile (rows of BK halves plus 16 bytes, on distinct banks).
//  - The epilogue goes through a 16 x 16 patch of shared memory per subgroup: the accumulators
//    leave as whole fragments, and each element gets its two scales and the bias (or the y of an
//    earlier part of K) there. The host gives this shader whole blocks only.
// Accuracy on an H100 against float64 sums (K = 768, rows scaled over 2^-60..2^60): largest errors
// 1e-5..4e-5, where lavapipe's fp32 SIMT GEMM has 4e-5..5e-5.
#extension GL_NV_cooperative_matrix : require
#extension GL_KHR_memory_scope_semantics : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#extension GL_EXT_control_flow_attributes : require

layout(local_size_x_id = 0) in; // (BM / WM) * (BN / WN) subgroups
layout(constant_id = 1) const uint BM = 128u;
layout(constant_id = 2) const uint BN = 128u;
layout(constant_id = 3) const uint BK = 32u;
layout(constant_id = 4) const uint WM = 64u;
layout(constant_id = 5) const uint WN = 32u;
layout(constant_id = 6) const uint X_COLUMNS = 0u; // x M-contiguous (linear.comp's X_COLUMNS)

const uint WG = gl_WorkGroupSize.x;
const uint FM = WM / 16u; // fragments per subgroup along M
const uint FN = WN / 16u;
const uint CHUNKS = BK / 8u;      // eight-element chunks per tile row: two float4 in, a uvec4 of halves out
const uint ROW = CHUNKS + 1u;     // shared uvec4 per tile row, padded
const uint LA = BM * CHUNKS / WG; // chunks per invocation per x tile
const uint LB = BN * CHUNKS / WG;
// X_COLUMNS: the x tile is k-major, each k a row of BM halves (plus 16 bytes), and a chunk is eight
// neighbouring rows of x at one k; the tiles come in as column-major fragments.
const uint COLUMN_CHUNKS = BM / 8u;
const uint XROW = COLUMN_CHUNKS + 1u;

layout(std430, binding = 0) readonly buffer X { vec4 x4[]; };
layout(std430, binding = 1) readonly buffer W { vec4 w4[]; };
layout(std430, binding = 2) readonly buffer Bias { float bias[]; };
layout(std430, binding = 3) buffer Y { vec4 y4[]; };
layout(std430, binding = 4) readonly buffer Shift { int shift[]; }; // x's rows, then W's (from M on)

layout(push_constant) uniform Params {
    uint x_first, w_first, bias_first, y_first;
    uint M, N;
    uint k_begin, k_end;
    uint w_stride;
    uint has_bias;
    uint accumulate;
    uint rows[4];
    uint x_stride[4];
    uint y_stride[4];
    uint x_k_stride; // X_COLUMNS
} p;

shared uvec4 tiles[2u * (BM + BN) * ROW];
const uint X_HI = 0u;
const uint X_LO = BM * ROW;
const uint W_HI = 2u * BM * ROW;
const uint W_LO = 2u * BM * ROW + BN * ROW;

uint a_base[LA]; // the x row's first float4 (X_COLUMNS: the chunk's first, at k = 0)
uint b_base[LB];
float a_scale[LA];
vec4 a_column_scale[2]; // X_COLUMNS: the chunk's eight rows
float b_scale[LB];
vec4 a_next[LA][2];
vec4 b_next[LB][2];

// X_COLUMNS: the k of this invocation's chunk i within the tile (its rows are the same for all i).
uint column_k(uint i) { return (gl_LocalInvocationID.x + i * WG) / COLUMN_CHUNKS; }

void fetch(uint k0) {
    uint quad = k0 / 4u + 2u * (gl_LocalInvocationID.x % CHUNKS); // K is a multiple of 4
    [[unroll]] for (uint h = 0u; h < 2u; h++) {
        bool in_k = (quad + h) * 4u < p.k_end;
        [[unroll]] for (uint i = 0u; i < LA; i++) {
            if (X_COLUMNS != 0u) {
                uint k = k0 + column_k(i);
                a_next[i][h] = k < p.k_end ? x4[a_base[i] + k * (p.x_k_stride / 4u) + h] : vec4(0.0);
            } else {
                a_next[i][h] = in_k ? x4[a_base[i] + quad + h] : vec4(0.0);
            }
        }
        [[unroll]] for (uint i = 0u; i < LB; i++) b_next[i][h] = in_k ? w4[b_base[i] + quad + h] : vec4(0.0);
    }
}

// hi: v rounded to f16's 11 significant bits, by its bits (a round trip through f16 is open to
// being folded away); exact in f16 wherever lo is normal. An infinity stays whole in hi.
uvec2 split(vec4 v, out uvec2 lo_halves) {
    vec4 hi = uintBitsToFloat((floatBitsToUint(v) + 0x1000u) & 0xffffe000u);
    vec4 lo = mix(v - hi, vec4(0.0), isinf(v));
    lo_halves = uvec2(packHalf2x16(lo.xy), packHalf2x16(lo.zw));
    return uvec2(packHalf2x16(hi.xy), packHalf2x16(hi.zw));
}

void split_store(uint at, uint lo_offset, vec4 v[2], vec4 scale[2]) {
    uvec2 lo0, lo1;
    uvec2 hi0 = split(v[0] * scale[0], lo0), hi1 = split(v[1] * scale[1], lo1);
    tiles[at] = uvec4(hi0, hi1);
    tiles[at + lo_offset] = uvec4(lo0, lo1);
}

void split_store(uint at, uint lo_offset, vec4 v[2], float scale) {
    split_store(at, lo_offset, v, vec4[2](vec4(scale), vec4(scale)));
}

void stash() {
    uint tid = gl_LocalInvocationID.x, c = tid % CHUNKS;
    [[unroll]] for (uint i = 0u; i < LA; i++) {
        if (X_COLUMNS != 0u)
            split_store(X_HI + column_k(i) * XROW + tid % COLUMN_CHUNKS, X_LO - X_HI, a_next[i], a_column_scale);
        else
            split_store(X_HI + (tid + i * WG) / CHUNKS * ROW + c, X_LO - X_HI, a_next[i], a_scale[i]);
    }
    [[unroll]] for (uint i = 0u; i < LB; i++)
        split_store(W_HI + (tid + i * WG) / CHUNKS * ROW + c, W_LO - W_HI, b_next[i], b_scale[i]);
}

#define F32_FRAGMENT fcoopmatNV<32, gl_ScopeSubgroup, 16, 16>
#define F16_FRAGMENT fcoopmatNV<16, gl_ScopeSubgroup, 16, 16>
F32_FRAGMENT acc[FM][FN];

// Each K step's products go to a fragment that starts from zero and then into acc by an f32 add:
// the tensor cores align every product to the accumulator's exponent and truncate, which against
// the whole sum (hi * hi summed straight into acc) cost several times fp32's error.
void multiply(uint wm, uint wn) {
    const uint KS = BK / 16u;
    F16_FRAGMENT b_hi[KS][FN], b_lo[KS][FN];
    [[unroll]] for (uint k = 0u; k < KS; k++)
        [[unroll]] for (uint j = 0u; j < FN; j++) {
            uint at = (wn + j * 16u) * ROW + 2u * k;
            coopMatLoadNV(b_hi[k][j], tiles, W_HI + at, ROW, true);
            coopMatLoadNV(b_lo[k][j], tiles, W_LO + at, ROW, true);
        }
    [[unroll]] for (uint i = 0u; i < FM; i++) {
        F16_FRAGMENT a_hi[KS], a_lo[KS];
        [[unroll]] for (uint k = 0u; k < KS; k++) {
            if (X_COLUMNS != 0u) { // the layout operand must be a literal
                uint at = 16u * k * XROW + (wm + i * 16u) / 8u;
                coopMatLoadNV(a_hi[k], tiles, X_HI + at, XROW, true);
                coopMatLoadNV(a_lo[k], tiles, X_LO + at, XROW, true);
            } else {
                uint at = (wm + i * 16u) * ROW + 2u * k;
                coopMatLoadNV(a_hi[k], tiles, X_HI + at, ROW, false);
                coopMatLoadNV(a_lo[k], tiles, X_LO + at, ROW, false);
            }
        }
        [[unroll]] for (uint j = 0u; j < FN; j++) {
            F32_FRAGMENT part = F32_FRAGMENT(0.0);
            [[unroll]] for (uint k = 0u; k < KS; k++) {
                part = coopMatMulAddNV(a_lo[k], b_hi[k][j], part);
                part = coopMatMulAddNV(a_hi[k], b_lo[k][j], part);
                part = coopMatMulAddNV(a_hi[k], b_hi[k][j], part);
            }
            acc[i][j] += part;
        }
    }
}

// y = acc / (2^shift_x * 2^shift_w) + (bias, or y for a later part of K). Each fragment goes through
// the subgroup's 16 x 16 patch; a lane then takes four columns of rows r and r + 8.
void finish(uint m0, uint n0) {
    uint scratch = gl_SubgroupID * 64u, lane = gl_SubgroupInvocationID;
    uint row = lane / 4u, col = (lane % 4u) * 4u;
    ivec4 col_shift[FN];
    vec4 col_bias[FN];
    [[unroll]] for (uint j = 0u; j < FN; j++) {
        uint n = n0 + j * 16u + col, b = p.bias_first + n;
        col_shift[j] = ivec4(shift[p.M + n], shift[p.M + n + 1u], shift[p.M + n + 2u], shift[p.M + n + 3u]);
        col_bias[j] = p.has_bias != 0u ? vec4(bias[b], bias[b + 1u], bias[b + 2u], bias[b + 3u]) : vec4(0.0);
    }
    [[unroll]] for (uint i = 0u; i < FM; i++) {
        int row_shift[2] = {shift[m0 + i * 16u + row], shift[m0 + i * 16u + row + 8u]};
        [[unroll]] for (uint j = 0u; j < FN; j++) {
            coopMatStoreNV(acc[i][j], tiles, scratch, 4u, false);
            subgroupMemoryBarrierShared();
            subgroupBarrier();
            // Constant trip counts (the host picks this shader for subgroups of 32 only): a loop the
            // compiler cannot unroll here would send the accumulators to local memory.
            [[unroll]] for (uint t = 0u; t < 2u; t++) {
                ivec4 s = -(row_shift[t] + col_shift[j]);
                vec4 v = uintBitsToFloat(tiles[scratch + lane + 32u * t]);
                v = ldexp(ldexp(v, s >> 1), s - (s >> 1)); // each factor a normal float
                uint at = (p.y_first + (m0 + i * 16u + row + 8u * t) * p.y_stride[3] + n0 + j * 16u + col) / 4u;
                y4[at] = (p.accumulate != 0u ? y4[at] : col_bias[j]) + v;
            }
            subgroupBarrier();
        }
    }
}

void main() {
    uint tiles_n = p.N / BN;
    uint tile = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
    if (tile >= tiles_n * (p.M / BM)) return; // whole workgroups only
    uint m0 = (tile / tiles_n) * BM, n0 = (tile % tiles_n) * BN;
    uint tid = gl_LocalInvocationID.x;
    uint wm = (gl_SubgroupID / (BN / WN)) * WM, wn = (gl_SubgroupID % (BN / WN)) * WN;

    if (X_COLUMNS != 0u) {
        // A block lies in one index of x's leading axis (the host: its rows[3] a multiple of BM).
        uint m = m0 + (tid % COLUMN_CHUNKS) * 8u, lead = m / p.rows[3];
        uint first = p.x_first + lead * p.x_stride[2] + (m % p.rows[3]);
        [[unroll]] for (uint i = 0u; i < LA; i++) a_base[i] = first / 4u;
        [[unroll]] for (uint h = 0u; h < 2u; h++)
            a_column_scale[h] = ldexp(vec4(1.0), ivec4(shift[m + 4u * h], shift[m + 4u * h + 1u],
                                                       shift[m + 4u * h + 2u], shift[m + 4u * h + 3u]));
    } else {
        [[unroll]] for (uint i = 0u; i < LA; i++) {
            uint m = m0 + (tid + i * WG) / CHUNKS;
            a_base[i] = (p.x_first + m * p.x_stride[3]) / 4u;
            a_scale[i] = ldexp(1.0, shift[m]);
        }
    }
    [[unroll]] for (uint i = 0u; i < LB; i++) {
        uint n = n0 + (tid + i * WG) / CHUNKS;
        b_base[i] = (p.w_first + n * p.w_stride) / 4u;
        b_scale[i] = ldexp(1.0, shift[p.M + n]);
    }
    [[unroll]] for (uint i = 0u; i < FM; i++)
        [[unroll]] for (uint j = 0u; j < FN; j++) acc[i][j] = F32_FRAGMENT(0.0);
    uint steps = (p.k_end - p.k_begin + BK - 1u) / BK;
    fetch(p.k_begin);
    for (uint s = 0u; s < steps; s++) {
        barrier(); // the last step's math done with the tiles
        stash();
        barrier();
        if (s + 1u < steps) fetch(p.k_begin + (s + 1u) * BK);
        multiply(wm, wn);
    }
    barrier(); // every subgroup done with the tiles before they hold the epilogue's patches
    finish(m0 + wm, n0 + wn);
}
