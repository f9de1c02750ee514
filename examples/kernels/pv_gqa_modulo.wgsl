// BROKEN: query head t reads V head t mod kv_heads instead of ⌊t / (heads / kv_heads)⌋.
// The naive P·V with grouped K/V heads otherwise. Consecutive query heads share a K/V head: with 4 heads
// on 2, heads 0 and 1 read V head 0 and heads 2 and 3 V head 1; t mod 2 gives 0 1 0 1. With one K/V
// head (multi-query) both give 0.

const SUPPORTS_KV_HEADS = true;

struct Params {
  n: u32,
  m: u32,
  dk: u32,
  dv: u32,
  heads: u32,
  flags: u32,
  causal_shift: i32,
  scale: f32,
  temperature: f32,
  d_model: u32,
  kv_heads: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> probs: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let col = gid.x;
  let row = gid.y;
  let head = gid.z;
  if (row >= params.n || col >= params.dv) { return; }
  let kv_head = head % params.kv_heads;
  let v_width = params.kv_heads * params.dv;
  let p_base = (head * params.n + row) * params.m;
  var acc = 0.0;
  for (var j = 0u; j < params.m; j++) {
    acc += probs[p_base + j] * v[j * v_width + kv_head * params.dv + col];
  }
  out[row * params.heads * params.dv + head * params.dv + col] = acc;
}
