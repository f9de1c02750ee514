// f16 storage for the fused kernel (src/gpu/half-storage.ts puts this block in place of the
// kernel's float32 one): Q, K and V hold IEEE halves, two to a 32-bit word, element e in word
// e / 2 (the low 16 bits when e is even), as src/core/half.ts packs them. unpack2x16float is core
// WGSL: no `shader-f16` needed. Everything read is float32 from here on; the functions are those of
// the float32 block: four floats from element `at`, zero past `limit`.
const F16_STORAGE = true;
@group(0) @binding(1) var<storage, read> q: array<u32>; // n × (heads·dk) halves
@group(0) @binding(2) var<storage, read> k: array<u32>; // m × (kv_heads·dk) halves
@group(0) @binding(3) var<storage, read> v: array<u32>; // m × (kv_heads·dv) halves

// With `at` even and all four in range, two words hold them; otherwise each half comes from its own word.
fn k4(at: u32, limit: u32) -> vec4f {
  if (at + 4u <= limit && (at & 1u) == 0u) { return vec4f(unpack2x16float(k[at >> 1u]), unpack2x16float(k[(at >> 1u) + 1u])); }
  var x = vec4f(0.0);
  for (var i = 0u; i < 4u; i++) {
    if (at + i < limit) { x[i] = unpack2x16float(k[(at + i) >> 1u])[(at + i) & 1u]; }
  }
  return x;
}

fn v4(at: u32, limit: u32) -> vec4f {
  if (at + 4u <= limit && (at & 1u) == 0u) { return vec4f(unpack2x16float(v[at >> 1u]), unpack2x16float(v[(at >> 1u) + 1u])); }
  var x = vec4f(0.0);
  for (var i = 0u; i < 4u; i++) {
    if (at + i < limit) { x[i] = unpack2x16float(v[(at + i) >> 1u])[(at + i) & 1u]; }
  }
  return x;
}

fn q4(at: u32, limit: u32) -> vec4f {
  if (at + 4u <= limit && (at & 1u) == 0u) { return vec4f(unpack2x16float(q[at >> 1u]), unpack2x16float(q[(at >> 1u) + 1u])); }
  var x = vec4f(0.0);
  for (var i = 0u; i < 4u; i++) {
    if (at + i < limit) { x[i] = unpack2x16float(q[(at + i) >> 1u])[(at + i) & 1u]; }
  }
  return x;
}
