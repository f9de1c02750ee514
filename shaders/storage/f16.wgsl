// f16 storage for the fused kernel (src/gpu/half-storage.ts puts this block in place of the
// kernel's float32 one): Q, K and V hold IEEE halves, two to a 32-bit word, element e in word
// e / 2 (the low 16 bits when e is even), as src/core/half.ts packs them. unpack2x16float is core
// WGSL: no `shader-f16` needed. Everything read is float32 from here on.
const F16_STORAGE = true;
@group(0) @binding(1) var<storage, read> q: array<u32>; // n × (heads·dk) halves
@group(0) @binding(2) var<storage, read> k: array<u32>; // m × (kv_heads·dk) halves
@group(0) @binding(3) var<storage, read> v: array<u32>; // m × (kv_heads·dv) halves
fn load_q(e: u32) -> f32 { return unpack2x16float(q[e >> 1u])[e & 1u]; }
fn load_k(e: u32) -> f32 { return unpack2x16float(k[e >> 1u])[e & 1u]; }
fn load_v(e: u32) -> f32 { return unpack2x16float(v[e >> 1u])[e & 1u]; }
