// BROKEN: ALiBi adds slope · distance instead of subtracting it, so distant keys are favoured.
// The naive QKᵀ with grouped K/V heads, window, ALiBi and softcap otherwise. The bias is
// −slope_t · (i + causal_shift − j): a penalty that grows with the distance behind the query.

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

fn has(flag: u32) -> bool {
  return (params.flags & flag) != 0u;
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let col = gid.x;
  let row = gid.y;
  let head = gid.z;
  if (row >= params.n || col >= params.m) { return; }
  // Consecutive query heads share a K/V head.
  let kv_head = head / (params.heads / params.kv_heads);
  let q_base = row * params.heads * params.dk + head * params.dk;
  let k_base = col * params.kv_heads * params.dk + kv_head * params.dk;
  var acc = 0.0;
  for (var d = 0u; d < params.dk; d++) {
    acc += q[q_base + d] * k[k_base + d];
  }
  var s = acc * params.scale / params.temperature;
  if (has(FLAG_SOFTCAP)) {
    // tanh is ±1 in float32 past |x| = 15: clamping keeps any tanh formula finite.
    s = params.softcap * tanh(clamp(s / params.softcap, -15.0, 15.0));
  }
  // How far key col lies behind the query's aligned position (negative: ahead of it).
  let distance = i32(row) + params.causal_shift - i32(col);
  if (has(FLAG_ALIBI)) { s += slopes[head] * f32(distance); }
  let hidden_by_causal = has(FLAG_CAUSAL) && distance < 0;
  let reach = select(abs(distance), distance, has(FLAG_CAUSAL));
  let hidden_by_window = has(FLAG_WINDOW) && reach >= i32(params.window);
  let hidden_by_mask = has(FLAG_MASK) && mask[row * params.m + col] == 0u;
  if (hidden_by_causal || hidden_by_window || hidden_by_mask) { s = neg_inf(); }
  scores[(head * params.n + row) * params.m + col] = s;
}
