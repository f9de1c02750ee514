// Stage 1, naive, additive score (Bahdanau, Cho and Bengio): raw(i, j) = vᵀ tanh(W_q q_i + W_k k_j),
// W_q (a×dq), W_k (a×dk) and v (a) shared by every head. One invocation per score: for each hidden
// unit r < a, p = (W_q q_i)[r] + (W_k k_j)[r] (each a dot product in order of d), then
// acc += v[r]·tanh(p), in order of r. Then scale, temperature, softcap, ALiBi and the masks as
// qk_scores_naive.wgsl. It recomputes the projections for every score (a·(dq + dk) products): the
// tiled qk_additive.wgsl projects each query row and key once per tile.
// Interface: docs/kernel-interface.md (binding 6: W_q, then W_k, then v, row-major).

const SCORES_ADDITIVE = true;
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
  n: u32,            // query rows in this dispatch
  m: u32,            // keys
  dk: u32,           // key width per head
  dv: u32,           // value width per head
  heads: u32,
  flags: u32,        // FLAG_CAUSAL | FLAG_MASK | FLAG_WINDOW | FLAG_ALIBI | FLAG_SOFTCAP
  causal_shift: i32, // key j is visible to row i when j <= i + causal_shift
  scale: f32,
  temperature: f32,
  d_model: u32,
  kv_heads: u32,     // K heads: query head h reads K head h / (heads / kv_heads)
  window: u32,       // sliding window w (FLAG_WINDOW)
  softcap: f32,      // logit softcap c (FLAG_SOFTCAP)
  rope_base: f32,
  rope_dims: u32,
  position_offset: i32,
  key_splits: u32,
  split_keys: u32,
  dq: u32,           // query width per head (may differ from dk for general and additive)
  score_dim: u32,    // additive: hidden width a (rows of W_q and W_k); 0 otherwise
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;       // n × (heads·dq)
@group(0) @binding(2) var<storage, read> k: array<f32>;       // m × (kv_heads·dk)
@group(0) @binding(3) var<storage, read> mask: array<u32>;    // n × m, non-zero = may attend
@group(0) @binding(4) var<storage, read_write> scores: array<f32>; // heads × n × m
@group(0) @binding(5) var<storage, read> slopes: array<f32>;  // ALiBi slope per query head (FLAG_ALIBI)
@group(0) @binding(6) var<storage, read> scoring: array<f32>; // W_q (a×dq), W_k (a×dk), v (a)

// −∞ built at run time: a constant −∞ is a shader-creation error in WGSL.
fn neg_inf() -> f32 {
  var bits = 0xff800000u;
  return bitcast<f32>(bits);
}

// Scale, cap, bias and hide the raw score of (head, row, col), and write it: as qk_scores_naive.wgsl.
fn store(head: u32, row: u32, col: u32, raw: f32) {
  var s = raw * params.scale / params.temperature;
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

// tanh of a pre-activation: tanh is ±1 in float32 past |x| = 15; clamping keeps its exp() finite.
fn squash(x: f32) -> f32 {
  return tanh(clamp(x, -15.0, 15.0));
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let col = gid.x;
  let row = gid.y;
  let head = gid.z;
  if (row >= params.n || col >= params.m) { return; }
  let q_start = row * params.heads * params.dq + head * params.dq;
  let k_start = col * params.kv_heads * params.dk + head / (params.heads / params.kv_heads) * params.dk;
  let a = params.score_dim;
  let wk_start = a * params.dq;           // W_k after W_q
  let v_start = wk_start + a * params.dk; // v after W_k
  var acc = 0.0;
  for (var r = 0u; r < a; r++) {
    var pq = 0.0;
    for (var d = 0u; d < params.dq; d++) { pq += scoring[r * params.dq + d] * q[q_start + d]; }
    var pk = 0.0;
    for (var d = 0u; d < params.dk; d++) { pk += scoring[wk_start + r * params.dk + d] * k[k_start + d]; }
    acc += scoring[v_start + r] * squash(pq + pk);
  }
  store(head, row, col, acc);
}
