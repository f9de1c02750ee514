// Stage 1, tiled, additive score (Bahdanau, Cho and Bengio): raw(i, j) = vᵀ tanh(W_q q_i + W_k k_j),
// W_q (a×dq), W_k (a×dk) and v (a) shared by every head. A 16×16 workgroup computes a 16×16 tile
// of scores (rows lid.y, keys lid.x), one per invocation. It walks the hidden width a in chunks of
// 16 units: each invocation stages one projected query value (W_q q_row)[r0 + lid.x] and one
// projected key value (W_k k_col)[r0 + lid.y] (dot products of dq and dk read from storage), and
// the first row of invocations stages the chunk of v; after a barrier each score adds
// v[r]·tanh(p_q[r] + p_k[r]) over the chunk, in order of r (as qk_additive_naive.wgsl). So each
// query row and key is projected once per tile instead of once per score; workgroup memory holds
// 2 × 16 × 16 + 16 floats (2.1 KiB). A tile that causality or the window hides whole walks no
// chunk. Then scale, temperature, softcap, ALiBi and the masks as qk_scores_naive.wgsl.
// Interface: docs/kernel-interface.md (binding 6: W_q, then W_k, then v, row-major).

const SCORES_ADDITIVE = true;
const WG: u32 = 16u; // invocations per side, scores per side, hidden units per chunk
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

var<workgroup> pq_tile: array<array<f32, WG>, WG>; // [row][r − r0]: (W_q q_row)[r]
var<workgroup> pk_tile: array<array<f32, WG>, WG>; // [r − r0][key]: (W_k k_key)[r]
var<workgroup> v_tile: array<f32, WG>;

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

// Windows wider than any distance hide nothing; the cap keeps i32 arithmetic on them from overflowing.
const WINDOW_CAP: u32 = 0x3fffffffu;

// Whether causality or the window hides every key of the tile from every row of it (uniform: it
// depends on the workgroup alone, so it may bound a loop with barriers). As qk_scores.wgsl.
fn tile_hidden(row0: u32, col0: u32) -> bool {
  let last_row = min(row0 + WG, params.n) - 1u;
  let last_col = min(col0 + WG, params.m) - 1u;
  let ahead = i32(last_row) + params.causal_shift - i32(col0);  // distance(last_row, col0)
  let behind = i32(row0) + params.causal_shift - i32(last_col); // distance(row0, last_col)
  if ((params.flags & FLAG_CAUSAL) != 0u && ahead < 0) { return true; }
  if ((params.flags & FLAG_WINDOW) != 0u) {
    let w = i32(min(params.window, WINDOW_CAP));
    if (behind >= w) { return true; }
    if ((params.flags & FLAG_CAUSAL) == 0u && -ahead >= w) { return true; }
  }
  return false;
}

// tanh of a pre-activation: tanh is ±1 in float32 past |x| = 15; clamping keeps its exp() finite.
fn squash(x: f32) -> f32 {
  return tanh(clamp(x, -15.0, 15.0));
}

@compute @workgroup_size(WG, WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let head = wid.z;
  let row0 = wid.y * WG;
  let col0 = wid.x * WG;
  let row = row0 + lid.y;
  let col = col0 + lid.x;
  let q_stride = params.heads * params.dq;
  let k_stride = params.kv_heads * params.dk;
  let q_offset = head * params.dq;
  let k_offset = head / (params.heads / params.kv_heads) * params.dk;
  let a = params.score_dim;
  let wk_start = a * params.dq;           // W_k after W_q
  let v_start = wk_start + a * params.dk; // v after W_k
  let a_end = select(a, 0u, tile_hidden(row0, col0));
  var acc = 0.0;
  for (var r0 = 0u; r0 < a_end; r0 += WG) {
    let rq = r0 + lid.x; // the hidden unit of this invocation's query projection
    var pq = 0.0;
    if (row < params.n && rq < a) {
      for (var d = 0u; d < params.dq; d++) { pq += scoring[rq * params.dq + d] * q[row * q_stride + q_offset + d]; }
    }
    pq_tile[lid.y][lid.x] = pq;
    let rk = r0 + lid.y; // the hidden unit of this invocation's key projection
    var pk = 0.0;
    if (col < params.m && rk < a) {
      for (var d = 0u; d < params.dk; d++) { pk += scoring[wk_start + rk * params.dk + d] * k[col * k_stride + k_offset + d]; }
    }
    pk_tile[lid.y][lid.x] = pk;
    if (lid.y == 0u) {
      var vr = 0.0;
      if (rq < a) { vr = scoring[v_start + rq]; }
      v_tile[lid.x] = vr;
    }
    workgroupBarrier();
    let count = min(WG, a - r0);
    for (var t = 0u; t < count; t++) { acc += v_tile[t] * squash(pq_tile[lid.y][t] + pk_tile[t][lid.x]); }
    workgroupBarrier();
  }
  if (row < params.n && col < params.m) { store(head, row, col, acc); }
}
