// Stage 3, naive: one invocation per output element, reading its probability row and value
// column straight from storage. Query head h reads V head ⌊h / (heads / kv_heads)⌋ (grouped-query
// attention; kv_heads = heads without it). Interface: docs/kernel-interface.md.

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
  let width = params.heads * params.dv;
  let v_width = params.kv_heads * params.dv;
  let v_col = head / (params.heads / params.kv_heads) * params.dv + col;
  let p_base = (head * params.n + row) * params.m;
  var acc = 0.0;
  for (var j = 0u; j < params.m; j++) {
    acc += probs[p_base + j] * v[j * v_width + v_col];
  }
  out[row * width + head * params.dv + col] = acc;
}
