#version 450
// y = x W^T + bias (F.linear) for f16 x and W on tensor cores, through VK_NV_cooperative_matrix
// (16 x 16 x 16 f16 products accumulated in f32). Same push constants as linear.comp; the host
// picks this shader only when K, the rows of x and W and their first elements are multiples of 8
// (16-byte loads).
//  - A workgroup owns a BM x BN block of y; each subgroup a WM x WN part of it, held as
//    (WM / 16) x (WN / 16) accumulator fragments.
//  - K advances BK at a time. The next x and W tiles go global -> registers while the current
//    ones feed the tensor cores from one shared buffer (two barriers per step; a second buffer
//    with one barrier measured no faster and needs twice the shared memory).
//  - Shared rows hold BK halves plus 8 of padding (16 bytes): the eight rows a fragment load
//    reads at once then fall on distinct banks.
//  - W's tile is stored n-major, k contiguous, which is the column-major K x N operand the
//    product wants, so neither tile is transposed on its way in.
//  - The accumulators start from the bias (or, for a later part of K, from y) and go to y as whole
//    fragments: the host gives this shader only whole blocks of y (the SIMT shader does the ragged
//    edges), f32 or f16, whose rows are one evenly spaced axis (x's likewise). Per-element epilogue
//    code here would make the compiler keep the accumulators in local memory.
#extension GL_NV_cooperative_matrix : require
#extension GL_KHR_memory_scope_semantics : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#extension GL_EXT_control_flow_attributes : require
#extension GL_GOOGLE_include_directive : require
#define SUBQ_16BIT
#include "dtype.glsl"

layout(local_size_x_id = 0) in; // (BM / WM) * (BN / WN) subgroups
layout(constant_id = 1) const uint BM = 128u;
layout(constant_id = 2) const uint BN = 128u;
layout(constant_id = 3) const uint BK = 64u;
layout(constant_id = 4) const uint WM = 64u;
layout(constant_id = 5) const uint WN = 32u;
layout(constant_id = 6) const uint DTYPES = 0u; // bias and y (x and W are f16)

const uint WG = gl_WorkGroupSize.x;
const uint FM = WM / 16u; // fragments per subgroup along M
const uint FN = WN / 16u;
const uint CHUNKS = BK / 8u;     // 16-byte chunks per tile row
const uint ROW = CHUNKS + 1u;    // shared uvec4 per tile row, padded
const uint LA = BM * CHUNKS / WG; // chunk loads per invocation per x tile
const uint LB = BN * CHUNKS / WG;

layout(std430, binding = 0) readonly buffer X { uvec4 x8[]; };
layout(std430, binding = 1) readonly buffer W { uvec4 w8[]; };
SUBQ_FLOAT_BUFFER(2, readonly, bias)
// y in 16-byte units (f32 or f16 by DTYPES): fragments moved through it are known to be aligned.
layout(std430, binding = 3) buffer Y8 { uvec4 y8[]; };

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
} p;

// The x tile, then the W tile; before the first step, each subgroup's 16 x 16 f32 bias patch.
shared uvec4 tiles[(BM + BN) * ROW];
const uint B_TILES = BM * ROW;

uint a_base[LA]; // the x row's first chunk
uint b_base[LB];
uvec4 a_next[LA];
uvec4 b_next[LB];

void fetch(uint k0) {
    uint tid = gl_LocalInvocationID.x;
    uint chunk = k0 / 8u + tid % CHUNKS;
    bool in_k = chunk * 8u < p.k_end;
    [[unroll]] for (uint i = 0u; i < LA; i++)
        a_next[i] = in_k ? x8[a_base[i] + chunk] : uvec4(0u);
    [[unroll]] for (uint i = 0u; i < LB; i++)
        b_next[i] = in_k ? w8[b_base[i] + chunk] : uvec4(0u);
}

void stash() {
    uint tid = gl_LocalInvocationID.x;
    [[unroll]] for (uint i = 0u; i < LA; i++) {
        uint r = (tid + i * WG) / CHUNKS;
        tiles[r * ROW + tid % CHUNKS] = a_next[i];
    }
    [[unroll]] for (uint i = 0u; i < LB; i++) {
        uint r = (tid + i * WG) / CHUNKS;
        tiles[B_TILES + r * ROW + tid % CHUNKS] = b_next[i];
    }
}

#define F32_FRAGMENT fcoopmatNV<32, gl_ScopeSubgroup, 16, 16>
#define F16_FRAGMENT fcoopmatNV<16, gl_ScopeSubgroup, 16, 16>
F32_FRAGMENT acc[FM][FN];

// The fragments start as bias rows (each fragment column j from a 16 x 16 tile of repeated bias
// values in this subgroup's shared patch) or, for a later part of K, as y itself.
const uint Y_PER_16_BYTES = SUBQ_DTYPE(3) == 0u ? 4u : 8u;

// Where fragment (i, j) of the subgroup's part at (m0, n0) starts in y8.
uint y8_fragment(uint m0, uint n0, uint i, uint j) {
    return (p.y_first + (m0 + i * 16u) * p.y_stride[3] + n0 + j * 16u) / Y_PER_16_BYTES;
}

void start(uint m0, uint n0) {
    uint ys = p.y_stride[3] / Y_PER_16_BYTES;
    if (p.accumulate != 0u) {
        [[unroll]] for (uint i = 0u; i < FM; i++)
            [[unroll]] for (uint j = 0u; j < FN; j++) {
                if (SUBQ_DTYPE(3) == 0u) {
                    coopMatLoadNV(acc[i][j], y8, y8_fragment(m0, n0, i, j), ys, false);
                } else {
                    F16_FRAGMENT h;
                    coopMatLoadNV(h, y8, y8_fragment(m0, n0, i, j), ys, false);
                    acc[i][j] = F32_FRAGMENT(h);
                }
            }
        return;
    }
    uint scratch = gl_SubgroupID * 64u, lane = gl_SubgroupInvocationID;
    [[unroll]] for (uint j = 0u; j < FN; j++) {
        F32_FRAGMENT b = F32_FRAGMENT(0.0);
        if (p.has_bias != 0u) {
            for (uint e = lane; e < 256u; e += gl_SubgroupSize) {
                float v = SUBQ_LOAD(bias, 2, p.bias_first + n0 + j * 16u + e % 16u);
                tiles[scratch + e / 4u][e % 4u] = floatBitsToUint(v);
            }
            subgroupMemoryBarrierShared();
            subgroupBarrier();
            coopMatLoadNV(b, tiles, scratch, 4u, false);
            subgroupBarrier();
        }
        [[unroll]] for (uint i = 0u; i < FM; i++) acc[i][j] = b;
    }
}

void finish(uint m0, uint n0) {
    uint ys = p.y_stride[3] / Y_PER_16_BYTES;
    [[unroll]] for (uint i = 0u; i < FM; i++)
        [[unroll]] for (uint j = 0u; j < FN; j++) {
            if (SUBQ_DTYPE(3) == 0u) coopMatStoreNV(acc[i][j], y8, y8_fragment(m0, n0, i, j), ys, false);
            else coopMatStoreNV(F16_FRAGMENT(acc[i][j]), y8, y8_fragment(m0, n0, i, j), ys, false);
        }
}

void multiply(uint wm, uint wn) {
    [[unroll]] for (uint k = 0u; k < BK; k += 16u) {
        F16_FRAGMENT a[FM], b[FN];
        [[unroll]] for (uint i = 0u; i < FM; i++)
            coopMatLoadNV(a[i], tiles, (wm + i * 16u) * ROW + k / 8u, ROW, false);
        [[unroll]] for (uint j = 0u; j < FN; j++)
            coopMatLoadNV(b[j], tiles, B_TILES + (wn + j * 16u) * ROW + k / 8u, ROW, true);
        [[unroll]] for (uint i = 0u; i < FM; i++)
            [[unroll]] for (uint j = 0u; j < FN; j++) acc[i][j] = coopMatMulAddNV(a[i], b[j], acc[i][j]);
    }
}

void main() {
    uint tiles_n = p.N / BN;
    uint tile = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
    if (tile >= tiles_n * (p.M / BM)) return; // whole workgroups only
    uint m0 = (tile / tiles_n) * BM, n0 = (tile % tiles_n) * BN;
    uint tid = gl_LocalInvocationID.x;
    uint wm = (gl_SubgroupID / (BN / WN)) * WM, wn = (gl_SubgroupID % (BN / WN)) * WN;

    [[unroll]] for (uint i = 0u; i < LA; i++) a_base[i] = (p.x_first + (m0 + (tid + i * WG) / CHUNKS) * p.x_stride[3]) / 8u;
    [[unroll]] for (uint i = 0u; i < LB; i++) b_base[i] = (p.w_first + (n0 + (tid + i * WG) / CHUNKS) * p.w_stride) / 8u;
    uint steps = (p.k_end - p.k_begin + BK - 1u) / BK;
    fetch(p.k_begin);
    start(m0 + wm, n0 + wn);
    for (uint s = 0u; s < steps; s++) {
        barrier(); // the last step's math (or the bias patches) done with the tiles
        stash();
        barrier();
        if (s + 1u < steps) fetch(p.k_begin + (s + 1u) * BK);
        multiply(wm, wn);
    }
    finish(m0 + wm, n0 + wn);
}
