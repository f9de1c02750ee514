// BROKEN: the attention sink raises the row max but never enters the denominator.
// Fused attention, one row per invocation, with every feature otherwise. The sink is one more term of
// the softmax’s denominator, exp(sink − M), with no value: without it the weights sum to 1 as if there
// were no sink.

const ROWS: u32 = 64u;
const DV_CHUNK: u32 = 32u;
const LOWEST: f32 = -3.4028234663852886e38;
const FLAG_CAUSAL: u32 = 1u;
const FLAG_MASK: u32 = 2u;
const FLAG_WINDOW: u32 = 4u;
const FLAG_ALIBI: u32 = 8u;
const FLAG_SOFTCAP: u32 = 16u;
const FLAG_SINKS: u32 = 32u;
const SUPPORTS_KV_HEADS = true;
const SUPPORTS_WINDOW = true;
const SUPPORTS_ALIBI = true;
const SUPPORTS_SOFTCAP = true;
const SUPPORTS_SINKS = true;

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
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read> mask: array<u32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;
@group(0) @binding(6) var<storage, read> slopes: array<f32>;
@group(0) @binding(7) var<storage, read> sinks: array<f32>;

fn has(flag: u32) -> bool {
  return (params.flags & flag) != 0u;
}

// Whether query row `row` sees key j: causal, window and mask together.
fn visible(row: u32, j: u32) -> bool {
  let distance = i32(row) + params.causal_shift - i32(j);
  if (has(FLAG_CAUSAL) && distance < 0) { return false; }
  let reach = select(abs(distance), distance, has(FLAG_CAUSAL));
  if (has(FLAG_WINDOW) && reach >= i32(params.window)) { return false; }
  return !has(FLAG_MASK) || mask[row * params.m + j] != 0u;
}

// The score of key j for the row: scale and temperature, softcap, ALiBi, then LOWEST where the key
// is hidden (exp(LOWEST − max) is 0, so hidden keys drop out of every sum).
fn score(row: u32, head: u32, kv_head: u32, j: u32) -> f32 {
  let q_base = row * params.heads * params.dk + head * params.dk;
  let k_base = j * params.kv_heads * params.dk + kv_head * params.dk;
  var acc = 0.0;
  for (var d = 0u; d < params.dk; d++) { acc += q[q_base + d] * k[k_base + d]; }
  var s = acc * params.scale / params.temperature;
  if (has(FLAG_SOFTCAP)) { s = params.softcap * tanh(clamp(s / params.softcap, -15.0, 15.0)); }
  if (has(FLAG_ALIBI)) { s -= slopes[head] * f32(i32(row) + params.causal_shift - i32(j)); }
  if (!visible(row, j)) { s = LOWEST; }
  return s;
}

@compute @workgroup_size(ROWS)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let row = gid.x;
  let head = gid.z;
  if (row >= params.n) { return; }
  let kv_head = head / (params.heads / params.kv_heads);
  var row_max = LOWEST;
  for (var j = 0u; j < params.m; j++) { row_max = max(row_max, score(row, head, kv_head, j)); }
  let out_base = row * params.heads * params.dv + head * params.dv;
  if (row_max == LOWEST) {
    // No visible key: no weights, sink or not.
    for (var c = 0u; c < params.dv; c++) { out[out_base + c] = 0.0; }
    return;
  }
  var denominator = 0.0;
  if (has(FLAG_SINKS)) {
    row_max = max(row_max, sinks[head]);
  }
  for (var j = 0u; j < params.m; j++) { denominator += exp(score(row, head, kv_head, j) - row_max); }
  let v_width = params.kv_heads * params.dv;
  for (var c0 = 0u; c0 < params.dv; c0 += DV_CHUNK) {
    // Zeroed explicitly: on SwiftShader a loop-local array was seen to keep its values across iterations.
    var acc: array<f32, DV_CHUNK>;
    for (var c = 0u; c < DV_CHUNK; c++) { acc[c] = 0.0; }
    for (var j = 0u; j < params.m; j++) {
      let w = exp(score(row, head, kv_head, j) - row_max);
      for (var c = 0u; c < DV_CHUNK && c0 + c < params.dv; c++) {
        acc[c] += w * v[j * v_width + kv_head * params.dv + c0 + c];
      }
    }
    for (var c = 0u; c < DV_CHUNK && c0 + c < params.dv; c++) { out[out_base + c0 + c] = acc[c] / denominator; }
  }
}
