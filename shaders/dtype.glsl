// Tensors stored as f32, f16 or bf16 and computed in fp32. The including shader declares the
// specialisation constant DTYPES: two bits per binding (0 f32, 1 f16, 2 bf16; binding b at bits
// 2b), which fold SUBQ_LOAD/SUBQ_STORE of that binding to one access.
// A shader including this file is built twice (cmake/shaders.cmake): plain, for f32 only on any
// device, and with SUBQ_16BIT (subq_shader_<name>_16), which needs storageBuffer16BitAccess.
// bf16 is kept in uint16_t words: no device feature beyond 16-bit storage is needed.
#ifdef SUBQ_16BIT
#extension GL_EXT_shader_16bit_storage : require

// bf16 bits (in the low half) of v, rounded to nearest even; NaN stays a (quiet) NaN.
uint subq_bf16_bits(float v) {
    uint u = floatBitsToUint(v);
    return isnan(v) ? 0x7fc0u : (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
}

// Four bf16 bit patterns of v (in the low halves).
uvec4 subq_bf16_bits4(vec4 v) {
    return uvec4(subq_bf16_bits(v.x), subq_bf16_bits(v.y), subq_bf16_bits(v.z), subq_bf16_bits(v.w));
}

// Declares name (f32 view), name##_h (f16) and name##_b (bf16 bits) over one binding.
#define SUBQ_FLOAT_BUFFER(binding_, access_, name)                                              \
    layout(std430, binding = binding_) access_ buffer name##_F32 { float name[]; };             \
    layout(std430, binding = binding_) access_ buffer name##_F16 { float16_t name##_h[]; };     \
    layout(std430, binding = binding_) access_ buffer name##_BF16 { uint16_t name##_b[]; };
#define SUBQ_DTYPE(binding_) ((DTYPES >> (2u * (binding_))) & 3u)
#define SUBQ_LOAD(name, binding_, i)                                                   \
    (SUBQ_DTYPE(binding_) == 0u   ? name[i]                                            \
     : SUBQ_DTYPE(binding_) == 1u ? float(name##_h[i])                                 \
                                  : uintBitsToFloat(uint(name##_b[i]) << 16))
#define SUBQ_STORE(name, binding_, i, v)                                \
    do {                                                                \
        if (SUBQ_DTYPE(binding_) == 0u) name[i] = (v);                  \
        else if (SUBQ_DTYPE(binding_) == 1u) name##_h[i] = float16_t(v); \
        else name##_b[i] = uint16_t(subq_bf16_bits(v));                 \
    } while (false)
// Groups of four neighbours (index i counts groups; 16-byte aligned for f32, 8-byte for 16-bit):
// name##4, name##4_h and name##4_b over one binding.
#define SUBQ_FLOAT4_BUFFER(binding_, access_, name)                                             \
    layout(std430, binding = binding_) access_ buffer name##_F32x4 { vec4 name##4[]; };         \
    layout(std430, binding = binding_) access_ buffer name##_F16x4 { f16vec4 name##4_h[]; };    \
    layout(std430, binding = binding_) access_ buffer name##_BF16x4 { u16vec4 name##4_b[]; };
#define SUBQ_LOAD4(name, binding_, i)                                                   \
    (SUBQ_DTYPE(binding_) == 0u   ? name##4[i]                                          \
     : SUBQ_DTYPE(binding_) == 1u ? vec4(name##4_h[i])                                  \
                                  : uintBitsToFloat(uvec4(name##4_b[i]) << 16))
#define SUBQ_STORE4(name, binding_, i, v)                                        \
    do {                                                                         \
        if (SUBQ_DTYPE(binding_) == 0u) name##4[i] = (v);                        \
        else if (SUBQ_DTYPE(binding_) == 1u) name##4_h[i] = f16vec4(v);          \
        else name##4_b[i] = u16vec4(subq_bf16_bits4(v));                         \
    } while (false)
// Pairs of neighbours (index i counts pairs; 8-byte aligned for f32, 4-byte for 16-bit).
#define SUBQ_FLOAT2_BUFFER(binding_, access_, name)                                             \
    layout(std430, binding = binding_) access_ buffer name##_F32x2 { vec2 name##2[]; };         \
    layout(std430, binding = binding_) access_ buffer name##_F16x2 { f16vec2 name##2_h[]; };    \
    layout(std430, binding = binding_) access_ buffer name##_BF16x2 { u16vec2 name##2_b[]; };
#define SUBQ_LOAD2(name, binding_, i)                                                   \
    (SUBQ_DTYPE(binding_) == 0u   ? name##2[i]                                          \
     : SUBQ_DTYPE(binding_) == 1u ? vec2(name##2_h[i])                                  \
                                  : uintBitsToFloat(uvec2(name##2_b[i]) << 16))
#define SUBQ_STORE2(name, binding_, i, v)                                                    \
    do {                                                                                     \
        if (SUBQ_DTYPE(binding_) == 0u) name##2[i] = (v);                                    \
        else if (SUBQ_DTYPE(binding_) == 1u) name##2_h[i] = f16vec2(v);                      \
        else name##2_b[i] = u16vec2(uvec2(subq_bf16_bits((v).x), subq_bf16_bits((v).y)));    \
    } while (false)
#else
#define SUBQ_FLOAT4_BUFFER(binding_, access_, name) \
    layout(std430, binding = binding_) access_ buffer name##_F32x4 { vec4 name##4[]; };
#define SUBQ_LOAD4(name, binding_, i) (name##4[i])
#define SUBQ_STORE4(name, binding_, i, v) name##4[i] = (v)
#define SUBQ_FLOAT2_BUFFER(binding_, access_, name) \
    layout(std430, binding = binding_) access_ buffer name##_F32x2 { vec2 name##2[]; };
#define SUBQ_LOAD2(name, binding_, i) (name##2[i])
#define SUBQ_STORE2(name, binding_, i, v) name##2[i] = (v)
#define SUBQ_FLOAT_BUFFER(binding_, access_, name) \
    layout(std430, binding = binding_) access_ buffer name##_F32 { float name[]; };
#define SUBQ_LOAD(name, binding_, i) (name[i])
#define SUBQ_STORE(name, binding_, i, v) name[i] = (v)
#endif
