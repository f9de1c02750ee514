// Stage 1, naive: one invocation per score, reading its query row and key row straight from
// storage. Kept for teaching and as the baseline the tiled kernel is measured against.
// With the features on: query head h reads K/V head ⌊h / (heads / kv_heads)⌋, the score is capped
// (c·tanh(s/c)), biased by ALiBi (−slope_h · distance) and hidden outside the sliding window.
// Interface: docs/kernel-interface.md.

const FLAG_CAUSAL: u32 = 1u;
const FLAG_MASK: u32 = 2u;
const FLAG_WINDOW: u32 = 4u;
const FLAG_ALIBI: u32 = 8u;
const FLAG_SOFTCAP: u32 = 16u;
const SUPPORTS_KV_HEADS = true;
const SUPPORTS_WINDOW = true;
const SUPPORTS_ALIBI = true;
const SUPPORTS_SOFTCAP = true;

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
  window: u32,
  softcap: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> mask: array<u32>;
@group(0) @binding(4) var<storage, read_write> scores: array<f32>;
@group(0) @binding(5) var<storage, read> slopes: array<f32>;

fn neg_inf() -> f32 {
  var bits = 0xff800000u;
  return bitcast<f32>(bits);
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let col = gid.x;
  let row = gid.y;
  let head = gid.z;
  if (row >= params.n || col >= params.m) { return; }
  let q_start = row * params.heads * params.dk + head * params.dk;
  let k_start = col * params.kv_heads * params.dk + head / (params.heads / params.kv_heads) * params.dk;
  var acc = 0.0;
  for (var d = 0u; d < params.dk; d++) {
    acc += q[q_start + d] * k[k_start + d];
  }
  var s = acc * params.scale / params.temperature;
  if ((params.flags & FLAG_SOFTCAP) != 0u) {
    // tanh is 1 in float32 past |x| = 15; clamping keeps its exp() from overflowing.
    s = params.softcap * tanh(clamp(s / params.softcap, -15.0, 15.0));
  }
  // How far key col lies behind the row's aligned position (negative: ahead of it).
  let distance = i32(row) + params.causal_shift - i32(col);
  if ((params.flags & FLAG_ALIBI) != 0u) { s -= slopes[head] * f32(distance); }
  let hidden_by_causal = (params.flags & FLAG_CAUSAL) != 0u && distance < 0;
  let hidden_by_window = (params.flags & FLAG_WINDOW) != 0u && u32(abs(distance)) >= params.window;
  let hidden_by_mask = (params.flags & FLAG_MASK) != 0u && mask[row * params.m + col] == 0u;
  if (hidden_by_causal || hidden_by_window || hidden_by_mask) { s = neg_inf(); }
  scores[(head * params.n + row) * params.m + col] = s;
}
