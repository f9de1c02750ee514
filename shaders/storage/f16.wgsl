// f16 storage for the fused kernel (src/gpu/half-storage.ts puts this block in place of the
// kernel's float32 one): Q, K and V hold IEEE halves, two to a 32-bit word, element e in word
// e / 2 (the low 16 bits when e is even), as src/core/half.ts packs them. unpack2x16float is core
// WGSL: no `shader-f16` needed. Everything read is float32 from here on; the functions are those of
// the float32 block: four floats from element `at`, zero past `limit`.
const F16_STORAGE = true;
@group(0) @binding(1) var<storage, read> q: array<u32>; // n × (heads·dk) halves
@group(0) @binding(2) var<storage, read> k: array<u32>; // m × (kv_heads·dk) halves
@group(0) @binding(3) var<storage, read> v: array<u32>; // m × (kv_heads·dv) halves

// Halves at … at + 3 lie in the three words from at / 2; a word past the one holding element
// limit − 1 is not read (its index is clamped to that word), and halves at or past `limit` are
// zeroed by a select. No branch, as in the float32 block: the loads can all be in flight together.
fn halves4(word0: u32, word1: u32, word2: u32, at: u32, limit: u32) -> vec4f {
  let a = unpack2x16float(word0);
  let b = unpack2x16float(word1);
  let c = unpack2x16float(word2);
  let x = select(vec4f(a, b), vec4f(a.y, b, c.x), (at & 1u) == 1u);
  return select(vec4f(0.0), x, vec4u(at) + vec4u(0u, 1u, 2u, 3u) < vec4u(limit));
}

fn k4(at: u32, limit: u32) -> vec4f {
  let w = at >> 1u;
  let last = (limit - 1u) >> 1u;
  return halves4(k[min(w, last)], k[min(w + 1u, last)], k[min(w + 2u, last)], at, limit);
}

fn v4(at: u32, limit: u32) -> vec4f {
  let w = at >> 1u;
  let last = (limit - 1u) >> 1u;
  return halves4(v[min(w, last)], v[min(w + 1u, last)], v[min(w + 2u, last)], at, limit);
}

fn q4(at: u32, limit: u32) -> vec4f {
  let w = at >> 1u;
  let last = (limit - 1u) >> 1u;
  return halves4(q[min(w, last)], q[min(w + 1u, last)], q[min(w + 2u, last)], at, limit);
}
