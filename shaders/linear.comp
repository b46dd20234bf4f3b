#version 450
// y = x W^T + bias (F.linear) as a tiled SIMT GEMM: C[m, n] = sum_k x[m, k] * W[n, k], W
// K-contiguous and x either K-contiguous ("NT") or, with X_COLUMNS, M-contiguous within its
// innermost row axis (channels-first activations: x[m, k] at row(m) + k * x_k_stride).
//  - A workgroup owns a BM x BN block of y and walks K in steps of BK. Each step's x and W tiles
//    go global -> registers -> shared memory, stored k-major (transposed; X_COLUMNS x is k-major
//    already, and its loads run along M) so that the inner loop
//    reads a thread's TM rows and TN columns at one k as 16-byte vectors. Two shared buffers: the
//    next tile's global loads are issued before the current tile's math, and one barrier per
//    step suffices.
//  - Each invocation accumulates a TM x TN register block: per k, TM/4 + TN/4 vector reads from
//    shared memory feed TM * TN FMAs. Its rows are TM/4 groups of 4 spaced 4 * (BM / TM) apart
//    (columns likewise), so neighbouring invocations read neighbouring vectors and store
//    neighbouring 16-byte chunks of y.
//  - Shared rows are padded by PAD floats: the transposing stores then spread over more banks,
//    and every vector read stays 16-byte aligned.
//  - Workgroups are numbered N-tile fastest, so the workgroups that share an x block run together
//    and read it from memory once; W, read by all, stays in L2.
//  - Bounds: loads past M, N or K read zeros, stores past M or N are skipped, so any sizes work.
//    Very long K comes in several dispatches, each adding its part to y: lavapipe (llvmpipe) ends
//    a shader's loops after 65535 iterations in all.
//    VEC_LOAD (host: K, row strides and first elements of x and W multiples of 4) loads 16 bytes
//    at a time; VEC_STORE likewise for y.
// x, W, bias and y are each f32, f16 or bf16 (dtype.glsl); vector access moves four of any.
#extension GL_EXT_control_flow_attributes : require
#extension GL_GOOGLE_include_directive : require
#include "dtype.glsl"

layout(local_size_x_id = 0) in; // (BM / TM) * (BN / TN); BN / TN a multiple of 8, BM / TM of 4
layout(constant_id = 1) const uint BM = 128u;
layout(constant_id = 2) const uint BN = 128u;
layout(constant_id = 3) const uint BK = 16u;
layout(constant_id = 4) const uint TM = 8u;
layout(constant_id = 5) const uint TN = 8u;
layout(constant_id = 6) const uint VEC_LOAD = 1u;
layout(constant_id = 7) const uint VEC_STORE = 1u;
layout(constant_id = 8) const uint DTYPES = 0u;
layout(constant_id = 9) const uint X_COLUMNS = 0u;

const uint WG = gl_WorkGroupSize.x;
const uint RM = BM / TM; // invocations along M
const uint RN = BN / TN; // invocations along N
const uint PAD = 4u;
const uint SA = BM + PAD; // floats per k in the shared x tile
const uint SB = BN + PAD;
const uint LOAD_WIDTH = VEC_LOAD != 0u ? 4u : 1u;
const uint LA = BM * BK / LOAD_WIDTH / WG; // global loads per invocation per x tile
const uint LB = BN * BK / LOAD_WIDTH / WG;
const uint K_LOADERS = BK / LOAD_WIDTH;    // invocations loading one row of a tile
const uint M_LOADERS = BM / LOAD_WIDTH;    // X_COLUMNS: invocations loading one k of the x tile
const uint INVALID = 0xffffffffu;

SUBQ_FLOAT_BUFFER(0, readonly, x)
SUBQ_FLOATN_BUFFER(4, 0, readonly, x)
SUBQ_FLOAT_BUFFER(1, readonly, w)
SUBQ_FLOATN_BUFFER(4, 1, readonly, w)
SUBQ_FLOAT_BUFFER(2, readonly, bias)
SUBQ_FLOAT_BUFFER(3, , y)
SUBQ_FLOATN_BUFFER(4, 3, , y)

layout(push_constant) uniform Params {
    uint x_first, w_first, bias_first, y_first;
    uint M, N;
    uint k_begin, k_end; // this dispatch's part of K (the host splits very long K)
    uint w_stride;       // between rows of W
    uint has_bias;
    uint accumulate;     // y += this part, for every part of K but the first
    uint rows[4];  // x's and y's leading axes, M = their product (padded with leading 1s)
    uint x_stride[4];
    uint y_stride[4];
    uint x_k_stride; // X_COLUMNS
} p;

shared vec4 As[2u * BK * SA / 4u];
shared vec4 Bs[2u * BK * SB / 4u];

uint x_row(uint m) {
    uint offset = p.x_first;
    for (int axis = 3; axis >= 0 && m != 0u; axis--) {
        offset += (m % p.rows[axis]) * p.x_stride[axis];
        m /= p.rows[axis];
    }
    return offset;
}

uint y_row(uint m) {
    uint offset = p.y_first;
    for (int axis = 3; axis >= 0 && m != 0u; axis--) {
        offset += (m % p.rows[axis]) * p.y_stride[axis];
        m /= p.rows[axis];
    }
    return offset;
}

// This invocation's share of a tile: load i covers tile row (tid + i * WG) / K_LOADERS and
// LOAD_WIDTH k's from ((tid + i * WG) % K_LOADERS) * LOAD_WIDTH; with X_COLUMNS, x's load i covers
// k (tid + i * WG) / M_LOADERS and LOAD_WIDTH rows from ((tid + i * WG) % M_LOADERS) * LOAD_WIDTH.
uint a_base[LA]; // first element of the x row, INVALID past M
uint b_base[LB];
vec4 a_next[LA];
vec4 b_next[LB];

uint a_tile_row(uint i) {
    uint e = gl_LocalInvocationID.x + i * WG;
    return X_COLUMNS != 0u ? (e % M_LOADERS) * LOAD_WIDTH : e / K_LOADERS;
}

uint a_tile_k(uint i) {
    uint e = gl_LocalInvocationID.x + i * WG;
    return X_COLUMNS != 0u ? e / M_LOADERS : (e % K_LOADERS) * LOAD_WIDTH;
}

void fetch(uint k0) {
    [[unroll]] for (uint i = 0u; i < LA; i++) {
        uint k = k0 + a_tile_k(i);
        bool ok = a_base[i] != INVALID && k < p.k_end;
        uint at = a_base[i] + (X_COLUMNS != 0u ? k * p.x_k_stride : k);
        if (VEC_LOAD != 0u) a_next[i] = ok ? SUBQ_LOADN(4, x, 0, at / 4u) : vec4(0.0);
        else a_next[i].x = ok ? SUBQ_LOAD(x, 0, at) : 0.0;
    }
    uint k = k0 + (gl_LocalInvocationID.x % K_LOADERS) * LOAD_WIDTH;
    [[unroll]] for (uint i = 0u; i < LB; i++) {
        bool ok = b_base[i] != INVALID && k < p.k_end;
        if (VEC_LOAD != 0u) b_next[i] = ok ? SUBQ_LOADN(4, w, 1, (b_base[i] + k) / 4u) : vec4(0.0);
        else b_next[i].x = ok ? SUBQ_LOAD(w, 1, b_base[i] + k) : 0.0;
    }
}

// The fetched values into shared buffer `buf`, k-major.
void stash(uint buf) {
    uint tid = gl_LocalInvocationID.x;
    [[unroll]] for (uint i = 0u; i < LA; i++) {
        uint r = a_tile_row(i), kk = a_tile_k(i);
        [[unroll]] for (uint j = 0u; j < LOAD_WIDTH; j++) {
            uint f = X_COLUMNS != 0u ? (buf * BK + kk) * SA + r + j : (buf * BK + kk + j) * SA + r;
            As[f / 4u][f % 4u] = a_next[i][j];
        }
    }
    uint kk = (tid % K_LOADERS) * LOAD_WIDTH;
    [[unroll]] for (uint i = 0u; i < LB; i++) {
        uint r = (tid + i * WG) / K_LOADERS;
        [[unroll]] for (uint j = 0u; j < LOAD_WIDTH; j++) {
            uint f = (buf * BK + kk + j) * SB + r;
            Bs[f / 4u][f % 4u] = b_next[i][j];
        }
    }
}

vec4 acc[TM][TN / 4u];

void multiply(uint buf, uint tx, uint ty) {
    [[unroll]] for (uint k = 0u; k < BK; k++) {
        vec4 af[TM / 4u], bf[TN / 4u];
        [[unroll]] for (uint c = 0u; c < TM / 4u; c++) af[c] = As[(buf * BK + k) * (SA / 4u) + c * RM + ty];
        [[unroll]] for (uint c = 0u; c < TN / 4u; c++) bf[c] = Bs[(buf * BK + k) * (SB / 4u) + c * RN + tx];
        [[unroll]] for (uint i = 0u; i < TM; i++)
            [[unroll]] for (uint c = 0u; c < TN / 4u; c++) acc[i][c] += af[i / 4u][i % 4u] * bf[c];
    }
}

void write_out(uint m0, uint n0, uint tx, uint ty) {
    vec4 bv[TN / 4u];
    [[unroll]] for (uint c = 0u; c < TN / 4u; c++) {
        uint n = n0 + c * 4u * RN + tx * 4u;
        [[unroll]] for (uint e = 0u; e < 4u; e++)
            bv[c][e] = p.has_bias != 0u && n + e < p.N ? SUBQ_LOAD(bias, 2, p.bias_first + n + e) : 0.0;
    }
    [[unroll]] for (uint i = 0u; i < TM; i++) {
        uint m = m0 + (i / 4u) * 4u * RM + ty * 4u + i % 4u;
        if (m >= p.M) continue;
        uint row = y_row(m);
        [[unroll]] for (uint c = 0u; c < TN / 4u; c++) {
            uint n = n0 + c * 4u * RN + tx * 4u;
            vec4 v = acc[i][c] + bv[c];
            if (VEC_STORE != 0u) {
                if (n < p.N)
                    SUBQ_STOREN(4, y, 3, (row + n) / 4u,
                                p.accumulate != 0u ? SUBQ_LOADN(4, y, 3, (row + n) / 4u) + v : v);
            } else {
                [[unroll]] for (uint e = 0u; e < 4u; e++)
                    if (n + e < p.N)
                        SUBQ_STORE(y, 3, row + n + e, p.accumulate != 0u ? SUBQ_LOAD(y, 3, row + n + e) + v[e] : v[e]);
            }
        }
    }
}

void main() {
    uint tiles_n = (p.N + BN - 1u) / BN;
    uint tile = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
    if (tile >= tiles_n * ((p.M + BM - 1u) / BM)) return; // whole workgroups only
    uint m0 = (tile / tiles_n) * BM, n0 = (tile % tiles_n) * BN;
    uint tid = gl_LocalInvocationID.x;
    // Each 32 consecutive invocations (a warp on NVIDIA) take a 4 x 8 patch of the RM x RN grid:
    // per k they read 4 vectors of the x tile and 8 of the W tile, one shared-memory wavefront
    // each, where a row of 32 would need 1 + 2.
    uint lane = tid % 32u, warp = tid / 32u, warps_n = RN / 8u;
    uint tx = (warp % warps_n) * 8u + lane % 8u, ty = (warp / warps_n) * 4u + lane / 8u;

    [[unroll]] for (uint i = 0u; i < LA; i++) {
        uint m = m0 + a_tile_row(i);
        a_base[i] = m < p.M ? x_row(m) : INVALID; // X_COLUMNS with VEC_LOAD: M % 4 == 0 (host)
    }
    [[unroll]] for (uint i = 0u; i < LB; i++) {
        uint n = n0 + (tid + i * WG) / K_LOADERS;
        b_base[i] = n < p.N ? p.w_first + n * p.w_stride : INVALID;
    }
    [[unroll]] for (uint i = 0u; i < TM; i++)
        [[unroll]] for (uint c = 0u; c < TN / 4u; c++) acc[i][c] = vec4(0.0);

    uint steps = (p.k_end - p.k_begin + BK - 1u) / BK;
    fetch(p.k_begin);
    stash(0u);
    barrier();
    for (uint s = 0u; s < steps; s++) {
        uint buf = s & 1u;
        bool more = s + 1u < steps;
        if (more) fetch(p.k_begin + (s + 1u) * BK);
        multiply(buf, tx, ty);
        if (more) stash(buf ^ 1u);
        barrier();
    }
    write_out(m0, n0, tx, ty);
}
