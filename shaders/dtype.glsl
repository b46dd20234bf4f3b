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

// bf16 bit patterns of each component of v (in the low halves).
uvec2 subq_bf16_bits(vec2 v) { return uvec2(subq_bf16_bits(v.x), subq_bf16_bits(v.y)); }
uvec4 subq_bf16_bits(vec4 v)
{
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
// Groups of n = 2 or 4 neighbours (index i counts groups; aligned to n elements): name##n,
// name##n##_h and name##n##_b over one binding.
#define SUBQ_FLOATN_BUFFER(n, binding_, access_, name)                                               \
    layout(std430, binding = binding_) access_ buffer name##_F32x##n { vec##n name##n[]; };          \
    layout(std430, binding = binding_) access_ buffer name##_F16x##n { f16vec##n name##n##_h[]; };   \
    layout(std430, binding = binding_) access_ buffer name##_BF16x##n { u16vec##n name##n##_b[]; };
#define SUBQ_LOADN(n, name, binding_, i)                                                \
    (SUBQ_DTYPE(binding_) == 0u   ? name##n[i]                                          \
     : SUBQ_DTYPE(binding_) == 1u ? vec##n(name##n##_h[i])                              \
                                  : uintBitsToFloat(uvec##n(name##n##_b[i]) << 16))
#define SUBQ_STOREN(n, name, binding_, i, v)                                     \
    do {                                                                         \
        if (SUBQ_DTYPE(binding_) == 0u) name##n[i] = (v);                        \
        else if (SUBQ_DTYPE(binding_) == 1u) name##n##_h[i] = f16vec##n(v);      \
        else name##n##_b[i] = u16vec##n(subq_bf16_bits(v));                      \
    } while (false)
#else
#define SUBQ_FLOATN_BUFFER(n, binding_, access_, name) \
    layout(std430, binding = binding_) access_ buffer name##_F32x##n { vec##n name##n[]; };
#define SUBQ_LOADN(n, name, binding_, i) (name##n[i])
#define SUBQ_STOREN(n, name, binding_, i, v) name##n[i] = (v)
#define SUBQ_FLOAT_BUFFER(binding_, access_, name) \
    layout(std430, binding = binding_) access_ buffer name##_F32 { float name[]; };
#define SUBQ_LOAD(name, binding_, i) (name[i])
#define SUBQ_STORE(name, binding_, i, v) name[i] = (v)
#endif
