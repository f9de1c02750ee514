// Stage 1, tiled, general score (Luong's "general"): raw(i, j) = q_iᵀ W k_j, W (dq×dk) shared by
// every head. A 16×16 workgroup computes a 16×16 tile of scores (rows lid.y, keys lid.x), one per
// invocation. It walks dq in chunks of 16: each invocation stages one Q value (row lid.y, dimension
// a0 + lid.x) and one projected key value (W k_j)[a0 + lid.y] for key lid.x, a dot product of dk
// read from storage; after a barrier each score adds q_i[a]·(W k_j)[a] over the chunk, in order of
// a (as qk_general_naive.wgsl). Each projected key is computed once per tile and used by its 16
// rows; workgroup memory holds 2 × 16 × 17 floats (2.2 KiB). A tile that causality or the window
// hides whole walks no chunk. Then scale, temperature, softcap, ALiBi and the masks as
// qk_scores_naive.wgsl.
// Interface: docs/kernel-interface.md (binding 6 holds W row-major: W[a][b] at a·dk + b).

const SCORES_GENERAL = true;
const WG: u32 = 16u; // invocations per side, scores per side, dq values per chunk
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
@group(0) @binding(6) var<storage, read> scoring: array<f32>; // W, dq × dk

var<workgroup> q_tile: array<array<f32, WG>, WG>;       // [row][a − a0]
var<workgroup> wk_tile: array<array<f32, WG + 1u>, WG>; // [a − a0][key]: (W k_key)[a], padded a column

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
  let dq_end = select(params.dq, 0u, tile_hidden(row0, col0));
  var acc = 0.0;
  for (var a0 = 0u; a0 < dq_end; a0 += WG) {
    let a = a0 + lid.x;
    var qv = 0.0;
    if (row < params.n && a < params.dq) { qv = q[row * q_stride + q_offset + a]; }
    q_tile[lid.y][lid.x] = qv;
    // (W k_col)[a0 + lid.y]: row a0 + lid.y of W times key col0 + lid.x.
    let wa = a0 + lid.y;
    var wk = 0.0;
    if (wa < params.dq && col < params.m) {
      for (var b = 0u; b < params.dk; b++) { wk += scoring[wa * params.dk + b] * k[col * k_stride + k_offset + b]; }
    }
    wk_tile[lid.y][lid.x] = wk;
    workgroupBarrier();
    for (var t = 0u; t < WG; t++) { acc += q_tile[lid.y][t] * wk_tile[t][lid.x]; }
    workgroupBarrier();
  }
  if (row < params.n && col < params.m) { store(head, row, col, acc); }
}
